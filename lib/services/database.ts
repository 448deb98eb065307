import { sql } from "drizzle-orm";

import type { Db } from "@/db/client";

export { openMigratedDb, type OpenOptions } from "@/db/client";

/** Throws when the database cannot answer a read: closed, locked past busy_timeout, corrupt. */
export function pingDatabase(db: Db): void {
  db.get(sql`select 1`);
}

/** Closes the process's handle; closing a closed handle does nothing. */
export function closeDatabase(db: Db): void {
  db.$client.close();
}

export { startCheckpointer } from "./checkpointer";
