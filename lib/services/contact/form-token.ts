import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

import { lt } from "drizzle-orm";

import type { Tx } from "@/db/client";
import { contactFormTokens } from "@/db/schema";

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

function sign(key: Uint8Array, issuedAt: number, nonce: string): string {
  return createHmac("sha256", key)
    .update(`contact-form\n${issuedAt}\n${nonce}`)
    .digest("base64url");
}

/**
 * `<issuedAtMs>.<nonce>.<hmac>`: the server checks how long the form was open without storing
 * anything at issue time; the nonce makes every token distinct, so a used one can be refused.
 */
export function issueFormToken(key: Uint8Array, now: Date): string {
  const issuedAt = now.getTime();
  const nonce = randomBytes(16).toString("base64url");
  return `${issuedAt}.${nonce}.${sign(key, issuedAt, nonce)}`;
}

const TOKEN = /^(\d{1,15})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export function checkFormToken(
  key: Uint8Array,
  token: string,
  now: Date,
  { minFillMs = MIN_FILL_MS, maxAgeMs = MAX_FORM_AGE_MS } = {},
): FormTokenCheck {
  const match = TOKEN.exec(token);
  if (!match) return "invalid";
  const issuedAt = Number(match[1]);
  const given = Buffer.from(match[3] ?? "", "base64url");
  const expected = Buffer.from(sign(key, issuedAt, match[2] ?? ""), "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "invalid";
  const age = now.getTime() - issuedAt;
  if (age < -60_000) return "invalid"; // issued in the future beyond clock jitter
  if (age > maxAgeMs) return "expired";
  if (age < minFillMs) return "too_fast";
  return "ok";
}

/**
 * Marks a checked token used. False when it was used before: a filled form can be sent once,
 * so a bot cannot fetch one token and post with it all day. Used tokens are kept only until
 * they would have expired anyway.
 */
export function spendFormToken(
  tx: Tx,
  token: string,
  now: Date,
  maxAgeMs: number = MAX_FORM_AGE_MS,
): boolean {
  const match = TOKEN.exec(token);
  if (!match) return false;
  tx.delete(contactFormTokens).where(lt(contactFormTokens.expiresAt, now)).run();
  const inserted = tx
    .insert(contactFormTokens)
    .values({ nonce: match[2] ?? "", expiresAt: new Date(Number(match[1]) + maxAgeMs + 60_000) })
    .onConflictDoNothing()
    .returning({ nonce: contactFormTokens.nonce })
    .get();
  return inserted !== undefined;
}
