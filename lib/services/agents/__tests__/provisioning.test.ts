import { describe, expect, it } from "vitest";

import { agents, auditEvents } from "@/db/schema";
import { createTestDb, testContext } from "@/lib/testing";
import { insertAgentWithKey } from "@/lib/testing/factories";
import { createAgentWithKey, findAgentKeys, revokeAgentKey } from "..";

const editor = { type: "user", userId: "usr_e", label: "e@test", role: "editor" } as const;

describe("createAgentWithKey", () => {
  it("creates the agent and its key together, audited as the console's two steps", () => {
    const db = createTestDb();
    const { agent, key, keyRow } = createAgentWithKey(testContext(db), {
      name: "ci",
      owner: "ops",
    });
    expect(keyRow).toMatchObject({ agentId: agent.id, name: "default" });
    expect(key.startsWith(keyRow.prefix)).toBe(true);
    const rows = db.select().from(auditEvents).all();
    expect(rows.map((r) => r.action)).toEqual(["agent.create", "agent_key.create"]);
    expect(rows.map((r) => r.detail).join("")).not.toContain(key);
  });

  it("writes nothing when the name is taken or the caller is not an admin", () => {
    const db = createTestDb();
    createAgentWithKey(testContext(db), { name: "ci" });
    expect(() => createAgentWithKey(testContext(db), { name: "ci" })).toThrow(/already exists/);
    expect(() => createAgentWithKey(testContext(db, editor), { name: "other" })).toThrow(
      /admin role/,
    );
    expect(db.select().from(agents).all()).toHaveLength(1);
    expect(db.select().from(auditEvents).all()).toHaveLength(2);
  });
});

describe("findAgentKeys", () => {
  it("finds a key by id, by display prefix or by the secret itself, with its agent", () => {
    const db = createTestDb();
    const ctx = testContext(db);
    const a = insertAgentWithKey(db);
    insertAgentWithKey(db);
    for (const ref of [a.keyRow.id, a.keyRow.prefix, a.key, ` ${a.key}\n`]) {
      expect(findAgentKeys(ctx, ref).map((m) => [m.key.id, m.agent.id])).toEqual([
        [a.keyRow.id, a.agent.id],
      ]);
    }
    expect(findAgentKeys(ctx, `${a.key}x`)).toEqual([]);
    expect(findAgentKeys(ctx, "pcs_")).toEqual([]);
    revokeAgentKey(ctx, { keyId: a.keyRow.id });
    expect(findAgentKeys(ctx, a.keyRow.prefix)[0]?.key.revokedAt).toBeInstanceOf(Date);
  });
});
