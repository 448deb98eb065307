import { and, eq, isNull } from "drizzle-orm";

import type { Db, Tx } from "@/db/client";
import {
  type Grant as GrantRow,
  grants,
  policies,
  type PolicyVersion,
  policyVersions,
  type Tool,
  tools,
  type Upstream,
  upstreams,
} from "@/db/schema";
import { readConfigVersion } from "../config-version";
import { openUpstreamSecrets } from "../secrets";

/** The engine's grant shape: what one agent may or may not call on one upstream. */
export type EngineGrant = {
  id: string;
  effect: "allow" | "deny";
  toolPattern: string;
  rateLimit: { max: number; windowSeconds: number } | null;
  expiresAt: number | null;
};

// The loaders are how the gateway and `portcullis run` launch or connect an upstream, so they
// return env and header values in clear; nothing that answers a person reads upstreams here.

/** An upstream row by name, with its env and header values opened. */
export function loadUpstreamByName(db: Db, name: string): Upstream | null {
  const row = db.select().from(upstreams).where(eq(upstreams.name, name)).get();
  return row ? openUpstreamSecrets(db, row) : null;
}

/** Every enabled upstream, with env and header values opened. */
export function listEnabledUpstreams(db: Db): Upstream[] {
  return db
    .select()
    .from(upstreams)
    .where(eq(upstreams.enabled, true))
    .all()
    .map((row) => openUpstreamSecrets(db, row));
}

/** The active version of an upstream's policy, or null when none is active. */
export function loadActivePolicyVersion(db: Db | Tx, upstreamId: string): PolicyVersion | null {
  const row = db
    .select({ version: policyVersions })
    .from(policies)
    .innerJoin(policyVersions, eq(policyVersions.id, policies.activeVersionId))
    .where(eq(policies.upstreamId, upstreamId))
    .get();
  return row?.version ?? null;
}

/** Unrevoked grants of one agent on one upstream; expiry is left to the engine's clock. */
export function loadAgentGrants(db: Db | Tx, agentId: string, upstreamId: string): EngineGrant[] {
  return db
    .select()
    .from(grants)
    .where(
      and(eq(grants.agentId, agentId), eq(grants.upstreamId, upstreamId), isNull(grants.revokedAt)),
    )
    .all()
    .map(toEngineGrant);
}

export function toEngineGrant(g: GrantRow): EngineGrant {
  return {
    id: g.id,
    effect: g.effect,
    toolPattern: g.toolPattern,
    rateLimit:
      g.rateLimitMax != null && g.rateLimitWindowSeconds != null
        ? { max: g.rateLimitMax, windowSeconds: g.rateLimitWindowSeconds }
        : null,
    expiresAt: g.expiresAt?.getTime() ?? null,
  };
}

export function loadUpstreamTools(db: Db | Tx, upstreamId: string): Tool[] {
  return db.select().from(tools).where(eq(tools.upstreamId, upstreamId)).all();
}

/** Upstream rows by name, read again whenever the config version moved (every upstream change bumps it). */
export class UpstreamDirectory {
  private version = -1;
  private readonly rows = new Map<string, Upstream | null>();

  constructor(private readonly db: Db) {}

  byName(name: string): Upstream | null {
    const version = readConfigVersion(this.db);
    if (version !== this.version) {
      this.rows.clear();
      this.version = version;
    }
    let row = this.rows.get(name);
    if (row === undefined) {
      row = loadUpstreamByName(this.db, name);
      if (this.rows.size < 1_000) this.rows.set(name, row);
    }
    return row;
  }
}
