import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

import type Database from "better-sqlite3";

import { AppError } from "@/lib/core/errors";
import { sealedKeyId } from "./cipher";

/** One AES-256 key; `id` (a digest prefix) names it inside every value it sealed. */
export type SecretKey = { id: string; bytes: Buffer };

/** `current` seals; every key in `all` (current included) can open. */
export type Keyring = { current: SecretKey; all: ReadonlyMap<string, SecretKey>; source: string };

export const KEY_ENV = "PORTCULLIS_SECRETS_KEY";
export const PREVIOUS_KEYS_ENV = "PORTCULLIS_SECRETS_KEY_PREVIOUS";

const KEY_FILE_HEADER = [
  "# Portcullis secrets key (AES-256-GCM, base64). The first key seals upstream secrets;",
  "# any further keys only open values sealed before a rotation. Back this file up apart",
  "# from the database: without it the upstream secrets cannot be read.",
];

/** The key file beside a database: `portcullis.db` → `portcullis.secrets.key`. */
export function keyFilePath(dbFile: string): string {
  const ext = path.extname(dbFile);
  return path.join(path.dirname(dbFile), `${path.basename(dbFile, ext)}.secrets.key`);
}

export function keyFromText(text: string, origin: string): SecretKey {
  const trimmed = text.trim();
  const bytes = Buffer.from(trimmed, "base64");
  if (bytes.length !== 32 || !/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed))
    throw new AppError(
      "INTERNAL",
      `${origin} is not a secrets key: it must be 32 random bytes in base64`,
    );
  return { id: createHash("sha256").update(bytes).digest("hex").slice(0, 16), bytes };
}

export function generateKey(): SecretKey {
  return keyFromText(randomBytes(32).toString("base64"), "a generated key");
}

export function readKeyFile(file: string): SecretKey[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new AppError(
      "INTERNAL",
      `cannot read the secrets key file ${file}: ${(err as Error).message}`,
    );
  }
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l, i) => keyFromText(l, `line ${i + 1} of ${file}`));
}

/**
 * Replaces the key file in one step (a 0600 temporary file renamed over it), so a reader sees
 * the old keys or the new ones, never a half-written file.
 */
export function writeKeyFile(file: string, keys: readonly SecretKey[]): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const body = [...KEY_FILE_HEADER, ...keys.map((k) => k.bytes.toString("base64")), ""].join("\n");
  fs.writeFileSync(tmp, body, { mode: 0o600, flag: "wx" });
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Creates the key file with a fresh key unless another process got there first: the file is
 * written under a private name and hard-linked into place, which fails if the name exists.
 */
function createKeyFile(file: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.new`;
  const body = [...KEY_FILE_HEADER, generateKey().bytes.toString("base64"), ""].join("\n");
  fs.writeFileSync(tmp, body, { mode: 0o600, flag: "wx" });
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** The keyring of `keys`, the first one current; null without keys. */
export function keyringOf(keys: SecretKey[], source: string): Keyring | null {
  const [current] = keys;
  if (!current) return null;
  return { current, all: new Map(keys.map((k) => [k.id, k])), source };
}

/**
 * The keys for one database. `PORTCULLIS_SECRETS_KEY` (with `PORTCULLIS_SECRETS_KEY_PREVIOUS`,
 * comma-separated, during a rotation) wins; otherwise the 0600 key file beside the database.
 * With the variable set, keys still in the file can open values (moving from the file to the
 * variable). `create` makes the file when there is none. An in-memory database gets a key that
 * lives as long as the process, as its data does.
 */
export function loadKeyring(
  dbFile: string,
  options: { create: boolean; env?: Readonly<Record<string, string | undefined>> },
): Keyring | null {
  const env = options.env ?? process.env;
  const memory = dbFile === "" || dbFile === ":memory:";
  const file = memory ? null : keyFilePath(dbFile);
  const fromFile = file ? readKeyFile(file) : [];
  if (env[KEY_ENV]) {
    const previous = (env[PREVIOUS_KEYS_ENV] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => keyFromText(s, PREVIOUS_KEYS_ENV));
    return keyringOf([keyFromText(env[KEY_ENV], KEY_ENV), ...previous, ...fromFile], KEY_ENV);
  }
  if (!file) return options.create ? keyringOf([generateKey()], "memory") : null;
  if (fromFile.length === 0 && options.create) {
    createKeyFile(file);
    return keyringOf(readKeyFile(file), file);
  }
  return keyringOf(fromFile, file);
}

const cache = new WeakMap<Database.Database, Keyring>();

/**
 * The keyring of an open database, cached per handle. `reload` reads it again: sealing always
 * does (a rotation by another process must not leave this one sealing under a retired key), and
 * opening does when a value names a key the cache lacks.
 */
export function keyringFor(
  handle: Database.Database,
  options: { create: boolean; reload?: boolean },
): Keyring | null {
  const cached = cache.get(handle);
  if (cached && (cached.source === "memory" || !options.reload)) return cached;
  const loaded = loadKeyring(handle.name, { create: options.create });
  if (loaded) cache.set(handle, loaded);
  return loaded;
}

/**
 * The keyring that can open `values`: the cached one, read again when a value names a key it
 * lacks (another process rotated).
 */
export function keyringToOpen(handle: Database.Database, values: Iterable<string>): Keyring | null {
  const keyring = keyringFor(handle, { create: false });
  for (const v of values) {
    const id = sealedKeyId(v);
    if (id && !keyring?.all.has(id)) return keyringFor(handle, { create: false, reload: true });
  }
  return keyring;
}

/** Replaces the cached keyring of an in-memory database (its rotation has no file to write). */
export function setMemoryKeyring(handle: Database.Database, keyring: Keyring): void {
  cache.set(handle, { ...keyring, source: "memory" });
}
