import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** A person needs longer than this to fill the form; bots post at once. */
export const MIN_FILL_MS = 3_000;
/** A token older than this is refused with "reload the page". */
export const MAX_FORM_AGE_MS = 24 * 60 * 60 * 1000;

export type FormTokenCheck = "ok" | "too_fast" | "expired" | "invalid";

const processKey = randomBytes(32);

/** The configured key, or one random key per process (open forms then expire on restart). */
export function formKey(configured?: string): Uint8Array {
  return configured ? Buffer.from(configured, "utf8") : processKey;
}

function sign(key: Uint8Array, issuedAt: number): string {
  return createHmac("sha256", key).update(`contact-form\n${issuedAt}`).digest("base64url");
}

/** `<issuedAtMs>.<hmac>`: lets the server check how long the form was open without storing anything. */
export function issueFormToken(key: Uint8Array, now: Date): string {
  const issuedAt = now.getTime();
  return `${issuedAt}.${sign(key, issuedAt)}`;
}

export function checkFormToken(
  key: Uint8Array,
  token: string,
  now: Date,
  { minFillMs = MIN_FILL_MS, maxAgeMs = MAX_FORM_AGE_MS } = {},
): FormTokenCheck {
  const match = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return "invalid";
  const issuedAt = Number(match[1]);
  const given = Buffer.from(match[2] ?? "", "base64url");
  const expected = Buffer.from(sign(key, issuedAt), "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "invalid";
  const age = now.getTime() - issuedAt;
  if (age < -60_000) return "invalid"; // issued in the future beyond clock jitter
  if (age > maxAgeMs) return "expired";
  if (age < minFillMs) return "too_fast";
  return "ok";
}
