import { eq } from "drizzle-orm";

import type { Db } from "@/db/client";
import {
  type Agent,
  type AgentKey,
  agentKeys,
  agents,
  type Grant,
  grants,
  policies,
  type PolicyVersion,
  policyVersions,
  type Upstream,
  upstreams,
} from "@/db/schema";
import { newId, randomString } from "@/lib/core/ids";
import { generateAgentKey } from "@/lib/services/agents/key-format";
import { bumpConfigVersion } from "@/lib/services/config-version";

const suffix = () => randomString(6);

/** An agent row, unique name. */
export function insertAgent(db: Db, over: Partial<typeof agents.$inferInsert> = {}): Agent {
  const now = new Date();
  return db
    .insert(agents)
    .values({
      id: newId("agent"),
      name: `agent-${suffix()}`,
      createdAt: now,
      updatedAt: now,
      ...over,
    })
    .returning()
    .get();
}

/** A key for an agent; returns the row and the secret (shown once in the product). */
export function insertAgentKey(
  db: Db,
  agentId: string,
  over: Partial<typeof agentKeys.$inferInsert> = {},
): { row: AgentKey; key: string } {
  const { key, prefix, hash } = generateAgentKey();
  const row = db
    .insert(agentKeys)
    .values({
      id: newId("agentKey"),
      agentId,
      name: `key-${suffix()}`,
      prefix,
      keyHash: hash,
      createdAt: new Date(),
      ...over,
    })
    .returning()
    .get();
  return { row, key };
}

/** An agent with one key. */
export function insertAgentWithKey(
  db: Db,
  over: Partial<typeof agents.$inferInsert> = {},
): { agent: Agent; key: string; keyRow: AgentKey } {
  const agent = insertAgent(db, over);
  const { row, key } = insertAgentKey(db, agent.id);
  return { agent, key, keyRow: row };
}

export function insertUpstream(
  db: Db,
  over: Partial<typeof upstreams.$inferInsert> = {},
): Upstream {
  const now = new Date();
  const row = db
    .insert(upstreams)
    .values({
      id: newId("upstream"),
      name: `srv-${suffix()}`,
      transport: "stdio",
      command: process.execPath,
      args: [],
      createdAt: now,
      updatedAt: now,
      ...over,
    })
    .returning()
    .get();
  db.transaction((tx) => bumpConfigVersion(tx, now), { behavior: "immediate" });
  return row;
}

/**
 * Saves `yaml` as the next version of the upstream's policy and makes it active, bumping
 * config_version like the console does. Does not validate: tests may store a broken policy.
 */
export function insertPolicyVersion(
  db: Db,
  upstreamId: string,
  yaml: string,
  author = "test",
): PolicyVersion {
  return db.transaction(
    (tx) => {
      const now = new Date();
      let policy = tx.select().from(policies).where(eq(policies.upstreamId, upstreamId)).get();
      if (!policy) {
        policy = tx
          .insert(policies)
          .values({ id: newId("policy"), upstreamId, createdAt: now, updatedAt: now })
          .returning()
          .get();
      }
      const last = tx
        .select({ v: policyVersions.version })
        .from(policyVersions)
        .where(eq(policyVersions.policyId, policy.id))
        .all();
      const version = tx
        .insert(policyVersions)
        .values({
          id: newId("policyVersion"),
          policyId: policy.id,
          version: Math.max(0, ...last.map((r) => r.v)) + 1,
          yaml,
          author,
          createdAt: now,
        })
        .returning()
        .get();
      tx.update(policies)
        .set({ activeVersionId: version.id, updatedAt: now })
        .where(eq(policies.id, policy.id))
        .run();
      bumpConfigVersion(tx, now);
      return version;
    },
    { behavior: "immediate" },
  );
}

export function insertGrant(
  db: Db,
  input: {
    agentId: string;
    upstreamId: string;
    toolPattern: string;
    effect?: "allow" | "deny";
  } & Partial<typeof grants.$inferInsert>,
): Grant {
  return db.transaction(
    (tx) => {
      const now = new Date();
      const row = tx
        .insert(grants)
        .values({
          id: newId("grant"),
          effect: "allow",
          createdBy: "test",
          createdAt: now,
          ...input,
        })
        .returning()
        .get();
      bumpConfigVersion(tx, now);
      return row;
    },
    { behavior: "immediate" },
  );
}
