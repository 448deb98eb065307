import { createHash, createHmac } from "node:crypto";

import { canonicalJson } from "@/lib/core/canonical-json";
import { mapOwnEntries } from "@/lib/core/json-safety";

export type ArgumentsMode = "full" | "redacted" | "hash";

const SECRET_KEY_PARTS = [
  "password",
  "passwd",
  "passphrase",
  "secret",
  "token",
  "apikey",
  "authorization",
  "cookie",
  "credential",
  "privatekey",
  "accesskey",
  "sessionid",
  "signature",
  "cvv",
  "cardnumber",
];
const SECRET_KEYS_EXACT = new Set(["auth", "pin", "pwd", "ssn", "otp", "key", "jwt", "bearer"]);
const SECRET_VALUE =
  /^(?:bearer\s+\S{8,}|basic\s+[a-z0-9+/=]{8,}|sk-[a-z0-9_-]{16,}|gh[pousr]_[a-z0-9]{20,}|pcs_[a-z0-9_-]{20,}|xox[abprs]-[a-z0-9-]{10,}|akia[0-9a-z]{16}|eyj[a-z0-9_-]{10,}\.[a-z0-9_-]{10,}\.)/i;

// A credential written out in a value ("my password is …", "api_key=…"): the key is inside the
// value, so key-based masking misses it. A credential word followed by anything is masked; in
// `redacted` mode masking too much is the safe mistake.
const SECRET_PHRASE =
  /\b(?:pass(?:word|wd|phrase)|secret|api[ _-]?key|token|credential)s?\b[\s:=]+\S/i;

export const MASK = "[REDACTED]";
const MAX_STRING = 256;
const MAX_ITEMS = 50;
const MAX_DEPTH = 8;
const MAX_REDACTED_BYTES = 8_192;
const MAX_FULL_BYTES = 65_536;

export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, "");
  return SECRET_KEYS_EXACT.has(k) || SECRET_KEY_PARTS.some((p) => k.includes(p));
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === "string") {
    if (SECRET_VALUE.test(value) || SECRET_PHRASE.test(value)) return MASK;
    return value.length > MAX_STRING
      ? `${value.slice(0, MAX_STRING)}…[+${value.length - MAX_STRING} chars]`
      : value;
  }
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[nested too deep]";
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => redactValue(v, depth + 1));
    if (value.length > MAX_ITEMS) items.push(`…[+${value.length - MAX_ITEMS} items]`);
    return items;
  }
  // Every key stays, `__proto__` and `constructor` included: the row records what was forwarded.
  return mapOwnEntries(value, (v, k) =>
    isSecretKey(k) && v !== null && v !== undefined ? MASK : redactValue(v, depth + 1),
  );
}

function digest(text: string, hmacKey: string | undefined): { alg: string; digest: string } {
  return hmacKey
    ? { alg: "hmac-sha256", digest: createHmac("sha256", hmacKey).update(text).digest("hex") }
    : { alg: "sha256", digest: createHash("sha256").update(text).digest("hex") };
}

/**
 * The JSON text stored in an audit row for a call's arguments, per the policy's
 * `audit.arguments`: `redacted` masks values under secret-looking keys, secret-looking values
 * and values that spell a credential out ("password is …", "token: …"), and caps sizes; `hash`
 * keeps only an HMAC (when a key is configured) or SHA-256 of the canonical JSON; `full` keeps
 * everything up to 64 KiB.
 */
export function auditArguments(args: unknown, mode: ArgumentsMode, hmacKey?: string): string {
  const canonical = canonicalJson(args ?? {});
  if (mode === "hash") return canonicalJson(digest(canonical, hmacKey));
  if (mode === "full") {
    if (canonical.length <= MAX_FULL_BYTES) return canonical;
    return canonicalJson({
      truncated: true,
      bytes: canonical.length,
      ...digest(canonical, hmacKey),
    });
  }
  const redacted = canonicalJson(redactValue(args ?? {}, 0));
  if (redacted.length <= MAX_REDACTED_BYTES) return redacted;
  return canonicalJson({ truncated: true, bytes: canonical.length, ...digest(canonical, hmacKey) });
}

/** What an audit row keeps of a message that could not be parsed or was refused unread. */
export function describeRawMessage(
  raw: string | Buffer,
  hmacKey?: string,
): Record<string, unknown> {
  const text = typeof raw === "string" ? raw : raw.toString("utf8");
  const head = text.slice(0, 64);
  return {
    bytes: Buffer.byteLength(text),
    ...digest(text, hmacKey),
    head:
      SECRET_VALUE.test(head) || /authorization|password|secret|token/i.test(head) ? MASK : head,
  };
}
