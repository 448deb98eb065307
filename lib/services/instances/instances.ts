import { asc, eq, gte, lt } from "drizzle-orm";

import type { Db, Tx } from "@/db/client";
import { type Instance, instances } from "@/db/schema";
import { newId } from "@/lib/core/ids";

/** A process whose heartbeat is older than this is no longer counted as running. */
export const INSTANCE_STALE_MS = 30_000;

export type InstanceInfo = {
  kind: Instance["kind"];
  pid: number;
  host: string;
  server: string | null;
  address: string | null;
};

/**
 * Adds the calling process to `instances` and removes the rows of processes that died without
 * cleaning up (no heartbeat for ten stale periods). Not audited: the rows are informational.
 */
export function createInstance(db: Db, info: InstanceInfo, now: Date = new Date()): Instance {
  return db.transaction(
    (tx) => {
      const row = tx
        .insert(instances)
        .values({ id: newId("instance"), ...info, startedAt: now, heartbeatAt: now })
        .returning()
        .get();
      tx.delete(instances)
        .where(lt(instances.heartbeatAt, new Date(now.getTime() - 10 * INSTANCE_STALE_MS)))
        .run();
      return row;
    },
    { behavior: "immediate" },
  );
}

export function heartbeatInstance(db: Db, id: string, now: Date = new Date()): void {
  db.update(instances).set({ heartbeatAt: now }).where(eq(instances.id, id)).run();
}

export function deleteInstance(db: Db, id: string): void {
  db.delete(instances).where(eq(instances.id, id)).run();
}

/** Processes with a heartbeat within INSTANCE_STALE_MS of `now`, oldest first. */
export function listLiveInstances(db: Db | Tx, now: Date = new Date()): Instance[] {
  return db
    .select()
    .from(instances)
    .where(gte(instances.heartbeatAt, new Date(now.getTime() - INSTANCE_STALE_MS)))
    .orderBy(asc(instances.startedAt))
    .all();
}
