import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { auditEvents } from "@/db/schema";
import { readConfigVersion } from "@/lib/services/config-version";
import { createTestDb, testContext } from "@/lib/testing";
import { createAgent } from "../../agents";
import { createUpstream } from "../../upstreams";
import { createGrant, listGrants, revokeGrant, toGrantView } from "..";

const editor = { type: "user", userId: "u2", label: "e@x", role: "editor" } as const;
const viewer = { type: "user", userId: "u", label: "v", role: "viewer" } as const;

function setup() {
  const db = createTestDb();
  const agent = createAgent(testContext(db), { name: "bot" });
  const upstream = createUpstream(testContext(db), {
    name: "everything",
    transport: "stdio",
    command: "node",
  });
  return { db, agent, upstream };
}

describe("grants", () => {
  it("creates a scoped, expiring grant with a per-agent limit; audits and bumps", () => {
    const { db, agent, upstream } = setup();
    const v = readConfigVersion(db);
    const expiresAt = new Date(Date.now() + 3600_000);
    const g = createGrant(testContext(db, editor), {
      agentId: agent.id,
      upstreamId: upstream.id,
      toolPattern: "get-sum",
      effect: "allow",
      rateLimit: { max: 3, windowSeconds: 60 },
      expiresAt: expiresAt.toISOString(),
      reason: "needed for reports",
    });
    expect(g.rateLimitMax).toBe(3);
    expect(g.expiresAt?.getTime()).toBe(expiresAt.getTime());
    expect(g.createdBy).toBe("e@x");
    expect(readConfigVersion(db)).toBe(v + 1);
    const row = db.select().from(auditEvents).where(eq(auditEvents.action, "grant.create")).get();
    expect(row).toMatchObject({ server: "everything", tool: "get-sum", actorId: "u2" });
    const [listed] = listGrants(testContext(db, viewer), { agentId: agent.id });
    expect(listed && toGrantView(listed.grant, listed)).toMatchObject({
      agentName: "bot",
      server: "everything",
      rateLimit: { max: 3, windowSeconds: 60 },
    });
  });

  it("refuses viewers, past expiries, rate limits on deny grants and unknown references", () => {
    const { db, agent, upstream } = setup();
    const base = {
      agentId: agent.id,
      upstreamId: upstream.id,
      toolPattern: "echo",
      effect: "allow",
    } as const;
    expect(() => createGrant(testContext(db, viewer), base)).toThrow(/editor role/);
    expect(() =>
      createGrant(testContext(db), { ...base, expiresAt: new Date(Date.now() - 1) }),
    ).toThrow(/future/);
    expect(() =>
      createGrant(testContext(db), {
        ...base,
        effect: "deny",
        rateLimit: { max: 1, windowSeconds: 1 },
      }),
    ).toThrow(/deny grant/);
    expect(() => createGrant(testContext(db), { ...base, agentId: "agt_x" })).toThrow(
      /does not exist/,
    );
    expect(() => createGrant(testContext(db), { ...base, toolPattern: "two words" })).toThrow(
      /spaces/,
    );
  });

  it("revokes once; revoked grants leave the default listing", () => {
    const { db, agent, upstream } = setup();
    const g = createGrant(testContext(db), {
      agentId: agent.id,
      upstreamId: upstream.id,
      toolPattern: "*",
      effect: "allow",
    });
    revokeGrant(testContext(db, editor), { grantId: g.id });
    revokeGrant(testContext(db, editor), { grantId: g.id });
    expect(
      db.select().from(auditEvents).where(eq(auditEvents.action, "grant.revoke")).all(),
    ).toHaveLength(1);
    expect(listGrants(testContext(db))).toHaveLength(0);
    expect(listGrants(testContext(db), { includeRevoked: true })).toHaveLength(1);
  });
});
