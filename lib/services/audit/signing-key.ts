import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import fs from "node:fs";
import path from "node:path";

import { invalid } from "@/lib/core/errors";

/** Where the signing key comes from: a PEM in the environment, or a file beside the database. */
export type KeySource = { dbFile: string; pem?: string };

export type SigningKey = { privateKey: KeyObject; publicKey: KeyObject; keyId: string };

/** Public keys a verifier trusts, by key id. */
export type TrustedKeys = ReadonlyMap<string, KeyObject>;

export const SIGNING_KEY_FILE = "audit-signing.key";
export const RETIRED_KEYS_FILE = "audit-signing.retired.pub";

export const signingKeyPath = (dbFile: string) => path.join(path.dirname(dbFile), SIGNING_KEY_FILE);
export const retiredKeysPath = (dbFile: string) =>
  path.join(path.dirname(dbFile), RETIRED_KEYS_FILE);

/** The first 16 hex digits of SHA-256 over the public key's SPKI encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("hex").slice(0, 16);
}

function fromPrivatePem(pem: string, where: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw invalid(`${where} is not a PEM private key: ${(err as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw invalid(`${where} must be an Ed25519 key, not ${privateKey.asymmetricKeyType}`);
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

/**
 * The key that signs checkpoints. With `create`, a missing key file is made on first use
 * (mode 0600, exclusive create, so two processes starting together end up with one key).
 * Returns null when there is no key and none may be created.
 */
export function loadSigningKey(source: KeySource, create = false): SigningKey | null {
  if (source.pem) return fromPrivatePem(source.pem, "PORTCULLIS_AUDIT_SIGNING_KEY");
  if (source.dbFile === ":memory:") return null;
  const file = signingKeyPath(source.dbFile);
  if (!fs.existsSync(file)) {
    if (!create) return null;
    const { privateKey } = generateKeyPairSync("ed25519");
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, pem, { mode: 0o600, flag: "wx" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  return fromPrivatePem(fs.readFileSync(file, "utf8"), file);
}

/** Every PUBLIC KEY block in a PEM text, by key id; anything else in the text is an error. */
export function parsePublicKeys(text: string, where: string): Map<string, KeyObject> {
  const blocks = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0) throw invalid(`${where} holds no PEM public key`);
  const keys = new Map<string, KeyObject>();
  for (const block of blocks) {
    let key: KeyObject;
    try {
      key = createPublicKey(block);
    } catch (err) {
      throw invalid(`${where}: ${(err as Error).message}`);
    }
    if (key.asymmetricKeyType !== "ed25519") {
      throw invalid(`${where}: a ${key.asymmetricKeyType} key, not Ed25519`);
    }
    keys.set(keyIdOf(key), key);
  }
  return keys;
}

export function publicKeyPem(key: KeyObject): string {
  return key.export({ type: "spki", format: "pem" }) as string;
}

/** What this host trusts: the current key's public half and every retired public key. */
export function localTrustedKeys(source: KeySource): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  const current = loadSigningKey(source);
  if (current) keys.set(current.keyId, current.publicKey);
  const retired = source.dbFile === ":memory:" ? null : retiredKeysPath(source.dbFile);
  if (retired && fs.existsSync(retired)) {
    for (const [id, key] of parsePublicKeys(fs.readFileSync(retired, "utf8"), retired)) {
      keys.set(id, key);
    }
  }
  return keys;
}

/** The trusted keys as one PEM text, current key first: what an outside witness keeps. */
export function trustedKeysPem(source: KeySource): string {
  return [...localTrustedKeys(source).values()].map(publicKeyPem).join("");
}

/**
 * Replaces the key file with a new key; the old public key is appended to the retired list so
 * checkpoints it signed still verify. The old private key is overwritten, so nothing can sign
 * as it again.
 */
export function rotateSigningKey(source: KeySource): { retired: string; current: string } {
  if (source.pem) {
    throw invalid(
      "The signing key comes from PORTCULLIS_AUDIT_SIGNING_KEY: rotate it there (see docs/audit-integrity.md)",
    );
  }
  const old = loadSigningKey(source, true);
  if (!old) throw invalid("An in-memory database has no signing key file");
  fs.appendFileSync(retiredKeysPath(source.dbFile), publicKeyPem(old.publicKey), { mode: 0o644 });
  const { privateKey } = generateKeyPairSync("ed25519");
  const file = signingKeyPath(source.dbFile);
  const temp = `${file}.${process.pid}.new`;
  fs.writeFileSync(temp, privateKey.export({ type: "pkcs8", format: "pem" }) as string, {
    mode: 0o600,
    flag: "wx",
  });
  fs.renameSync(temp, file);
  return { retired: old.keyId, current: keyIdOf(createPublicKey(privateKey)) };
}
