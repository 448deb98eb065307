import { sql } from "drizzle-orm";

import { type Db, openMigratedDb as openAndMigrate, type OpenOptions } from "@/db/client";
import { sealStoredUpstreamSecrets } from "./secrets";

export type { OpenOptions };

/**
 * Opens and migrates the shared database, then seals any upstream secret still stored in clear
 * (rows from before secrets were encrypted): what every process does at start.
 */
export function openMigratedDb(file: string, migrationsFolder: string, options?: OpenOptions): Db {
  const db = openAndMigrate(file, migrationsFolder, options);
  if (!options?.readonly) {
    try {
      sealStoredUpstreamSecrets(db);
    } catch (err) {
      db.$client.close();
      throw err;
    }
  }
  return db;
}

/** Throws when the database cannot answer a read: closed, locked past busy_timeout, corrupt. */
export function pingDatabase(db: Db): void {
  db.get(sql`select 1`);
}

/** An in-memory database: nothing to checkpoint or sign, since nothing outlives the process. */
export function isInMemory(db: Db): boolean {
  return db.$client.memory;
}

/** Closes the process's handle; closing a closed handle does nothing. */
export function closeDatabase(db: Db): void {
  db.$client.close();
}

export { startCheckpointer } from "./checkpointer";
