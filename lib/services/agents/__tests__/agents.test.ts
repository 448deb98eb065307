import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { agentKeys, auditEvents } from "@/db/schema";
import { readConfigVersion } from "@/lib/services/config-version";
import { createTestDb, testContext } from "@/lib/testing";
import {
  createAgent,
  createAgentKey,
  hashAgentKey,
  listAgents,
  revokeAgentKey,
  toAgentView,
} from "..";

const editor = { type: "user", userId: "usr_e", label: "e@test", role: "editor" } as const;

describe("agents", () => {
  it("creates an agent, bumps the config version and audits agent.create", () => {
    const db = createTestDb();
    const v0 = readConfigVersion(db);
    const agent = createAgent(testContext(db), { name: "support-bot", owner: "ops" });
    expect(agent.id).toMatch(/^agt_/);
    expect(readConfigVersion(db)).toBe(v0 + 1);
    expect(
      db.select().from(auditEvents).where(eq(auditEvents.action, "agent.create")).all(),
    ).toHaveLength(1);
    expect(() => createAgent(testContext(db), { name: "support-bot" })).toThrow(/already exists/);
  });

  it("is admin-only", () => {
    const db = createTestDb();
    expect(() => createAgent(testContext(db, editor), { name: "x" })).toThrow(/admin role/);
  });

  it("issues a key shown once: the row holds its hash and prefix, the audit row neither secret", () => {
    const db = createTestDb();
    const agent = createAgent(testContext(db), { name: "bot" });
    const { key, row } = createAgentKey(testContext(db), { agentId: agent.id, name: "laptop" });
    expect(key).toMatch(/^pcs_/);
    expect(row.keyHash).toBe(hashAgentKey(key));
    expect(key.startsWith(row.prefix)).toBe(true);
    const audit = db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "agent_key.create"))
      .get();
    expect(audit?.detail).not.toContain(key);
    expect(audit?.detail).not.toContain(row.keyHash);
    const view = toAgentView(agent, [row]);
    expect(JSON.stringify(view)).not.toContain(row.keyHash);
  });

  it("refuses an expiry in the past and an unknown agent", () => {
    const db = createTestDb();
    const agent = createAgent(testContext(db), { name: "bot" });
    expect(() =>
      createAgentKey(testContext(db), {
        agentId: agent.id,
        name: "k",
        expiresAt: new Date(Date.now() - 1000),
      }),
    ).toThrow(/future/);
    expect(() => createAgentKey(testContext(db), { agentId: "agt_nope", name: "k" })).toThrow(
      /does not exist/,
    );
  });

  it("revokes a key once; a second revoke is a silent no-op", () => {
    const db = createTestDb();
    const agent = createAgent(testContext(db), { name: "bot" });
    const { row } = createAgentKey(testContext(db), { agentId: agent.id, name: "k" });
    const revoked = revokeAgentKey(testContext(db), { keyId: row.id });
    expect(revoked.revokedAt).not.toBeNull();
    revokeAgentKey(testContext(db), { keyId: row.id });
    expect(
      db.select().from(auditEvents).where(eq(auditEvents.action, "agent_key.revoke")).all(),
    ).toHaveLength(1);
    expect(db.select().from(agentKeys).get()?.revokedAt).not.toBeNull();
  });

  it("lists agents with their keys for viewers", () => {
    const db = createTestDb();
    const agent = createAgent(testContext(db), { name: "bot" });
    createAgentKey(testContext(db), { agentId: agent.id, name: "k" });
    const viewer = { type: "user", userId: "u", label: "v", role: "viewer" } as const;
    const list = listAgents(testContext(db, viewer));
    expect(list).toHaveLength(1);
    expect(list[0]?.keys).toHaveLength(1);
  });
});
