import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { agentKeys, agents } from "@/db/schema";
import { AppError } from "@/lib/core/errors";
import { createTestDb } from "@/lib/testing";
import {
  insertAgentKey,
  insertAgentWithKey,
  insertGrant,
  insertPolicyVersion,
  insertUpstream,
} from "@/lib/testing/factories";
import { bumpConfigVersion } from "../../config-version";
import {
  AgentKeyAuthenticator,
  authenticateAgentKey,
  loadActivePolicyVersion,
  loadAgentGrants,
  loadUpstreamByName,
} from "..";

let db: Db;
beforeEach(() => {
  db = createTestDb();
});

const reason = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("UNAUTHENTICATED");
    return (err as AppError).details?.reason;
  }
  throw new Error("expected a refusal");
};

describe("authenticateAgentKey", () => {
  it("resolves a valid key to its agent and records last use at most once a minute", () => {
    const { agent, key, keyRow } = insertAgentWithKey(db, { name: "bot" });
    const now = new Date("2026-02-01T10:00:00Z");
    expect(authenticateAgentKey(db, key, now).agent.id).toBe(agent.id);
    const used = () =>
      db.select().from(agentKeys).where(eq(agentKeys.id, keyRow.id)).get()?.lastUsedAt?.getTime();
    expect(used()).toBe(now.getTime());
    authenticateAgentKey(db, key, new Date(now.getTime() + 30_000));
    expect(used()).toBe(now.getTime());
    authenticateAgentKey(db, key, new Date(now.getTime() + 61_000));
    expect(used()).toBe(now.getTime() + 61_000);
  });

  it("refuses unknown, revoked, expired and disabled-agent keys", () => {
    const { agent, key } = insertAgentWithKey(db);
    const now = new Date();
    expect(reason(() => authenticateAgentKey(db, "pcs_unknown", now))).toBe("unknown key");
    expect(reason(() => authenticateAgentKey(db, "", now))).toBe("malformed key");
    const revoked = insertAgentKey(db, agent.id, { revokedAt: now });
    expect(reason(() => authenticateAgentKey(db, revoked.key, now))).toBe("revoked key");
    const expired = insertAgentKey(db, agent.id, { expiresAt: new Date(now.getTime() - 1) });
    expect(reason(() => authenticateAgentKey(db, expired.key, now))).toBe("expired key");
    db.update(agents).set({ disabledAt: now }).where(eq(agents.id, agent.id)).run();
    expect(reason(() => authenticateAgentKey(db, key, now))).toBe("disabled agent");
  });
});

describe("loaders", () => {
  it("read the upstream, its active policy version and an agent's unrevoked grants", () => {
    const up = insertUpstream(db, { name: "github" });
    expect(loadActivePolicyVersion(db, up.id)).toBeNull();
    insertPolicyVersion(db, up.id, 'version: "1"\n');
    const v2 = insertPolicyVersion(db, up.id, 'version: "1"\ndefault: deny\n');
    expect(loadUpstreamByName(db, "github")?.id).toBe(up.id);
    expect(loadActivePolicyVersion(db, up.id)?.id).toBe(v2.id);
    const { agent } = insertAgentWithKey(db);
    insertGrant(db, {
      agentId: agent.id,
      upstreamId: up.id,
      toolPattern: "read_*",
      rateLimitMax: 5,
      rateLimitWindowSeconds: 60,
    });
    insertGrant(db, {
      agentId: agent.id,
      upstreamId: up.id,
      toolPattern: "gone",
      revokedAt: new Date(),
    });
    expect(loadAgentGrants(db, agent.id, up.id)).toEqual([
      expect.objectContaining({
        toolPattern: "read_*",
        effect: "allow",
        rateLimit: { max: 5, windowSeconds: 60 },
        expiresAt: null,
      }),
    ]);
  });
});

describe("AgentKeyAuthenticator", () => {
  it("remembers a key until the config version moves, and re-checks expiry on every use", () => {
    const { agent, key, keyRow } = insertAgentWithKey(db, { name: "cached" });
    const auth = new AgentKeyAuthenticator(db);
    const t0 = new Date("2026-01-01T00:00:00Z");
    expect(auth.authenticate(key, t0).agent.id).toBe(agent.id);

    // A revocation without a version bump is invisible to the memo (the services always bump).
    db.update(agentKeys).set({ revokedAt: t0 }).where(eq(agentKeys.id, keyRow.id)).run();
    expect(auth.authenticate(key, t0).agent.id).toBe(agent.id);
    db.transaction((tx) => bumpConfigVersion(tx, t0), { behavior: "immediate" });
    expect(reason(() => auth.authenticate(key, t0))).toBe("revoked key");

    const other = insertAgentWithKey(db, { name: "expiring" });
    const expiresAt = new Date(t0.getTime() + 1_000);
    db.update(agentKeys).set({ expiresAt }).where(eq(agentKeys.id, other.keyRow.id)).run();
    db.transaction((tx) => bumpConfigVersion(tx, t0), { behavior: "immediate" });
    expect(auth.authenticate(other.key, t0).agent.name).toBe("expiring");
    expect(reason(() => auth.authenticate(other.key, new Date(t0.getTime() + 1_000)))).toBe(
      "expired key",
    );
    expect(reason(() => auth.authenticate("pcs_unknown", t0))).toBe("unknown key");
  });
});
