import fs from "node:fs";
import os from "node:os";
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
 * private database for tests. The database holds password hashes, session and CSRF tokens and
 * sealed upstream secrets, so its folder is created 0700 and its files are kept 0600.
 */
export function openDb(file: string, options: OpenOptions = {}): Db {
  if (file !== ":memory:") preparePrivateFile(file, options.readonly ?? false);
  const sqlite = new Database(file, { readonly: options.readonly ?? false });
  // busy_timeout first: the WAL switch itself needs a lock when several processes start at once.
  sqlite.pragma("busy_timeout = 5000");
  if (!options.readonly) sqlite.pragma("journal_mode = WAL");
  if (file !== ":memory:" && !options.readonly) {
    // SQLite creates -wal and -shm with the database file's mode; older installs made them 0644.
    for (const sidecar of ["-wal", "-shm"]) keepPrivate(`${file}${sidecar}`);
  }
  sqlite.pragma(`synchronous = ${options.synchronous ?? "NORMAL"}`);
  sqlite.pragma("foreign_keys = ON");
  return drizzle(sqlite, { schema }) as Db;
}

const DEFAULT_FOLDER = path.join(os.homedir(), ".portcullis");

/**
 * Creates the folder 0700 (and tightens the default ~/.portcullis, which earlier versions made
 * 0755) and the database file 0600 before SQLite opens it.
 */
function preparePrivateFile(file: string, readonly: boolean): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  else if (dir === DEFAULT_FOLDER) keepPrivate(dir, 0o700);
  if (readonly) return;
  fs.closeSync(fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600));
  keepPrivate(file);
}

/** Removes group and other access; a file owned by someone else keeps the mode they chose. */
function keepPrivate(target: string, mode = 0o600): void {
  try {
    if ((fs.statSync(target).mode & 0o077) !== 0) fs.chmodSync(target, mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "EPERM") throw err;
  }
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
