import { eq, sql } from "drizzle-orm";

import type { Db, Tx } from "@/db/client";
import { configVersion } from "@/db/schema";

/**
 * Moves the enforcement version. Call it in the same transaction as any change to policies,
 * grants, upstreams, agents, keys or tool acceptance, so a gateway never pairs a new version
 * with old rows.
 */
export function bumpConfigVersion(tx: Tx, now: Date): number {
  const row = tx
    .update(configVersion)
    .set({ version: sql`${configVersion.version} + 1`, changedAt: now })
    .where(eq(configVersion.id, 1))
    .returning({ version: configVersion.version })
    .get();
  if (!row) throw new Error("config_version row is missing: the database was not migrated");
  return row.version;
}

/** One indexed row read; gateways call it on every tools/call. */
export function readConfigVersion(db: Db | Tx): number {
  return db.select({ v: configVersion.version }).from(configVersion).where(eq(configVersion.id, 1)).get()?.v ?? 0;
}
