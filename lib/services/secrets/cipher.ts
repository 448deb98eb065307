import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

import { AppError } from "@/lib/core/errors";
import type { Keyring, SecretKey } from "./keyring";

// enc:v1:<key id>:<iv>:<ciphertext>:<tag>, base64url parts.
const SEALED = /^enc:v1:([0-9a-f]{16}):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]*):([A-Za-z0-9_-]{22})$/;

export function isSealed(value: string): boolean {
  return SEALED.test(value);
}

/** The id of the key a sealed value needs, or null for a value that is not sealed. */
export function sealedKeyId(value: string): string | null {
  return SEALED.exec(value)?.[1] ?? null;
}

/**
 * AES-256-GCM with a random 96-bit IV. `context` is bound as additional data, so a sealed value
 * copied to another row, field or name no longer opens.
 */
export function seal(key: SecretKey, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key.bytes, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const parts = [iv, body, cipher.getAuthTag()].map((b) => b.toString("base64url"));
  return `enc:v1:${key.id}:${parts.join(":")}`;
}

/** Opens a sealed value; throws INTERNAL when its key is missing or it was altered or moved. */
export function open(keyring: Keyring | null, sealed: string, context: string): string {
  const m = SEALED.exec(sealed);
  if (!m) throw new AppError("INTERNAL", `${context} is not a sealed value`);
  const [, keyId, iv, body, tag] = m as unknown as [string, string, string, string, string];
  const key = keyring?.all.get(keyId);
  if (!key)
    throw new AppError(
      "INTERNAL",
      `${context} was sealed with secrets key ${keyId}, which is not configured (${keyring?.source ?? "no key"})`,
    );
  try {
    const decipher = createDecipheriv("aes-256-gcm", key.bytes, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    const plain = Buffer.concat([
      decipher.update(Buffer.from(body, "base64url")),
      decipher.final(),
    ]);
    return plain.toString("utf8");
  } catch {
    throw new AppError(
      "INTERNAL",
      `${context} does not open with key ${keyId}: it was altered or moved`,
    );
  }
}
