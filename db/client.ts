import fs from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";

import * as schema from "./schema";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** The better-sqlite3 handle under a drizzle database or transaction, for prepared hot paths. */
export function sqliteHandle(db: Db | Tx): Database.Database {
  const withClient = db as unknown as {
    $client?: Database.Database;
    session?: { client: Database.Database };
  };
  const client = withClient.$client ?? withClient.session?.client;
  if (!client) throw new Error("no SQLite handle on this database object");
  return client;
}

export type OpenOptions = { readonly?: boolean; synchronous?: "NORMAL" | "FULL" };

/**
 * Opens the file every process shares. Each process opens its own handle; `:memory:` gives a
 * private database for tests.
 */
export function openDb(file: string, options: OpenOptions = {}): Db {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new Database(file, { readonly: options.readonly ?? false });
  // busy_timeout first: the WAL switch itself needs a lock when several processes start at once.
  sqlite.pragma("busy_timeout = 5000");
  if (!options.readonly) sqlite.pragma("journal_mode = WAL");
  sqlite.pragma(`synchronous = ${options.synchronous ?? "NORMAL"}`);
  sqlite.pragma("foreign_keys = ON");
  return drizzle(sqlite, { schema }) as Db;
}

/** The migrations folder relative to the repository root. Entry points resolve the root. */
export const MIGRATIONS_DIR = path.join("db", "migrations");

/**
 * Applies pending migrations. Several processes may start on one new file together: the
 * migrator's deferred transaction can lose the lock upgrade race with SQLITE_BUSY (which
 * busy_timeout does not cover), and it reads which migrations were applied before it takes the
 * lock, so it can also find a table the winner just created. Either failure is retried after the
 * winner finishes: the winner applies all pending migrations in one transaction, so the retry
 * sees them applied.
 */
export function migrateDb(db: Db, migrationsFolder: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      migrate(db, { migrationsFolder });
      return;
    } catch (err) {
      if (attempt >= 20 || !(isBusy(err) || isRace(err))) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50 + attempt * 25);
    }
  }
}

function isBusy(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") return true;
  }
  return false;
}

function isRace(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if (/already exists/.test(String((e as { message?: unknown }).message))) return true;
  }
  return false;
}

/** Opens and migrates in one step: what every process does at start. */
export function openMigratedDb(file: string, migrationsFolder: string, options?: OpenOptions): Db {
  const db = openDb(file, options);
  migrateDb(db, migrationsFolder);
  return db;
}
