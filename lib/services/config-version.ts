import { eq, sql } from "drizzle-orm";

import type { Statement } from "better-sqlite3";

import { type Db, sqliteHandle, type Tx } from "@/db/client";
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
  memo = null;
  return row.version;
}

const reads = new WeakMap<object, Statement>();
let memo: { client: object; version: number } | null = null;

/**
 * One indexed row read through a statement prepared once per connection: gateways call it on
 * every request. Reads within one synchronous run share one answer (the run is one instant for
 * this process; the memo is dropped at the next microtask, and when this process bumps).
 */
export function readConfigVersion(db: Db | Tx): number {
  const client = sqliteHandle(db);
  if (memo?.client === client) return memo.version;
  let read = reads.get(client);
  if (!read) {
    read = client.prepare("SELECT version FROM config_version WHERE id = 1").pluck();
    reads.set(client, read);
  }
  const version = (read.get() as number | undefined) ?? 0;
  memo = { client, version };
  queueMicrotask(() => {
    memo = null;
  });
  return version;
}
