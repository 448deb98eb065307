import { eq } from "drizzle-orm";

import type { Db } from "@/db/client";
import { type Agent, type AgentKey, agentKeys, agents } from "@/db/schema";
import { AppError } from "@/lib/core/errors";
import { hashAgentKey } from "../agents/key-format";
import { readConfigVersion } from "../config-version";

export type AuthenticatedAgent = { agent: Agent; key: AgentKey };

/** `last_used_at` is a display hint; writing it on every request would serialize all calls. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Resolves a presented agent key to its agent. Throws UNAUTHENTICATED for an unknown, revoked
 * or expired key or a disabled agent; `details.reason` says which (for the audit row, never for
 * the caller). Refreshes `last_used_at` at most once a minute per key.
 */
export function authenticateAgentKey(db: Db, presented: string, now: Date): AuthenticatedAgent {
  const refuse = (reason: string, keyId?: string) =>
    new AppError("UNAUTHENTICATED", "Invalid or missing agent key", { reason, keyId });
  if (!presented || presented.length > 512) throw refuse("malformed key");
  const row = db
    .select({ key: agentKeys, agent: agents })
    .from(agentKeys)
    .innerJoin(agents, eq(agents.id, agentKeys.agentId))
    .where(eq(agentKeys.keyHash, hashAgentKey(presented)))
    .get();
  if (!row) throw refuse("unknown key");
  if (row.key.revokedAt) throw refuse("revoked key", row.key.id);
  if (row.key.expiresAt && row.key.expiresAt.getTime() <= now.getTime()) {
    throw refuse("expired key", row.key.id);
  }
  if (row.agent.disabledAt) throw refuse("disabled agent", row.key.id);
  const last = row.key.lastUsedAt?.getTime() ?? 0;
  if (now.getTime() - last >= LAST_USED_RESOLUTION_MS) {
    try {
      db.update(agentKeys).set({ lastUsedAt: now }).where(eq(agentKeys.id, row.key.id)).run();
    } catch {
      // A busy database must not turn a valid key into a refusal; the hint catches up later.
    }
  }
  return row;
}

/**
 * A key as it stands now, for a process that authenticated it once and keeps serving with it:
 * null when it was revoked, its agent disabled or the key removed; else when it expires.
 */
export function agentKeyStanding(db: Db, keyId: string): { expiresAt: number | null } | null {
  const row = db
    .select({
      revokedAt: agentKeys.revokedAt,
      expiresAt: agentKeys.expiresAt,
      disabledAt: agents.disabledAt,
    })
    .from(agentKeys)
    .innerJoin(agents, eq(agents.id, agentKeys.agentId))
    .where(eq(agentKeys.id, keyId))
    .get();
  if (!row || row.revokedAt || row.disabledAt) return null;
  return { expiresAt: row.expiresAt?.getTime() ?? null };
}

/**
 * Per-process memo of keys that authenticated, trusted only while the config version stands
 * still: creating, revoking or expiring-by-edit a key and disabling an agent all bump it. Expiry
 * is re-checked on every use, and a key goes back to the database once a minute so
 * `last_used_at` keeps moving.
 */
export class AgentKeyAuthenticator {
  private version = -1;
  private readonly known = new Map<string, { row: AuthenticatedAgent; checkedAt: number }>();

  constructor(private readonly db: Db) {}

  authenticate(presented: string, now: Date): AuthenticatedAgent {
    const version = readConfigVersion(this.db);
    if (version !== this.version) {
      this.known.clear();
      this.version = version;
    }
    const hash = presented && presented.length <= 512 ? hashAgentKey(presented) : "";
    const hit = hash ? this.known.get(hash) : undefined;
    const t = now.getTime();
    if (hit && t - hit.checkedAt < LAST_USED_RESOLUTION_MS) {
      const expires = hit.row.key.expiresAt?.getTime();
      if (expires === undefined || expires > t) return hit.row;
    }
    const row = authenticateAgentKey(this.db, presented, now);
    if (this.known.size >= 10_000) this.known.clear();
    this.known.set(hash, { row, checkedAt: t });
    return row;
  }
}
