import { eq, lt, sql } from "drizzle-orm";

import type { Db, Tx } from "@/db/client";
import { signInThrottle } from "@/db/schema";
import { AppError } from "@/lib/core/errors";
import {
  ACCOUNT_BACKOFF,
  ADDRESS_BACKOFF,
  BACKOFF_DECAY_MS,
  type BackoffSpec,
  backoffWaitMs,
  liveFailures,
} from "@/lib/core/sessions/backoff";

export type ThrottleScope = "account" | "address";
type Key = { key: string; scope: ThrottleScope; spec: BackoffSpec };

export const accountKey = (email: string) => `account:${email}`;
const addressKey = (ip: string) => `address:${ip}`;

/** The counters one attempt is charged to: the account always, the address when known. */
export function throttleKeys(email: string, remoteIp: string | null): Key[] {
  const keys: Key[] = [{ key: accountKey(email), scope: "account", spec: ACCOUNT_BACKOFF }];
  if (remoteIp) keys.push({ key: addressKey(remoteIp), scope: "address", spec: ADDRESS_BACKOFF });
  return keys;
}

export type Throttled = { scope: ThrottleScope; retryAfterSeconds: number };

/** The longest wait any of `keys` still imposes at `now`, or null when an attempt may go ahead. */
export function throttleState(tx: Db | Tx, keys: Key[], now: Date): Throttled | null {
  let worst: Throttled | null = null;
  for (const k of keys) {
    const row = tx.select().from(signInThrottle).where(eq(signInThrottle.key, k.key)).get();
    if (!row) continue;
    const wait = backoffWaitMs(row.failures, row.lastFailureAt.getTime(), now.getTime(), k.spec);
    const retryAfterSeconds = Math.ceil(wait / 1000);
    if (wait > 0 && (!worst || retryAfterSeconds > worst.retryAfterSeconds))
      worst = { scope: k.scope, retryAfterSeconds };
  }
  return worst;
}

/**
 * Counts a failure against every key. Sign-in charges before it checks the password, so
 * guesses sent in parallel wait like guesses sent one after another; a right password then
 * gives the charge back (`refund`) or clears the account (`clearAccount`).
 */
export function chargeFailure(tx: Tx, keys: Key[], now: Date): void {
  const nowMs = now.getTime();
  for (const k of keys) {
    const row = tx.select().from(signInThrottle).where(eq(signInThrottle.key, k.key)).get();
    const failures = row ? liveFailures(row.failures, row.lastFailureAt.getTime(), nowMs) : 0;
    tx.insert(signInThrottle)
      .values({ key: k.key, failures: failures + 1, lastFailureAt: now })
      .onConflictDoUpdate({
        target: signInThrottle.key,
        set: { failures: failures + 1, lastFailureAt: now },
      })
      .run();
  }
}

/** Takes back one charged failure from each key (the attempt turned out right). */
export function refund(tx: Tx, keys: Key[]): void {
  for (const k of keys) {
    tx.update(signInThrottle)
      .set({ failures: sql`max(${signInThrottle.failures} - 1, 0)` })
      .where(eq(signInThrottle.key, k.key))
      .run();
  }
}

/** Forgets an account's failures (a full sign-in, an admin unlock, a password reset). */
export function clearAccount(tx: Tx, email: string): boolean {
  const gone = tx
    .delete(signInThrottle)
    .where(eq(signInThrottle.key, accountKey(email)))
    .returning({ key: signInThrottle.key })
    .get();
  return gone !== undefined;
}

/** Drops counters that have decayed, so guessed emails do not pile up. */
export function pruneThrottle(tx: Tx, now: Date): void {
  tx.delete(signInThrottle)
    .where(lt(signInThrottle.lastFailureAt, new Date(now.getTime() - BACKOFF_DECAY_MS)))
    .run();
}

/** An account's live failure count and remaining wait, for the users page. */
export function accountThrottle(
  db: Db | Tx,
  email: string,
  now: Date,
): { failures: number; retryAfterSeconds: number } {
  const row = db
    .select()
    .from(signInThrottle)
    .where(eq(signInThrottle.key, accountKey(email)))
    .get();
  if (!row) return { failures: 0, retryAfterSeconds: 0 };
  const last = row.lastFailureAt.getTime();
  return {
    failures: liveFailures(row.failures, last, now.getTime()),
    retryAfterSeconds: Math.ceil(
      backoffWaitMs(row.failures, last, now.getTime(), ACCOUNT_BACKOFF) / 1000,
    ),
  };
}

export function throttledError(t: Throttled): AppError {
  const s = t.retryAfterSeconds;
  return new AppError(
    "RATE_LIMITED",
    `Too many failed sign-in attempts. Try again in ${s} second${s === 1 ? "" : "s"}.`,
    { retryAfterSeconds: s },
  );
}

/** Refuses an attempt while a delay runs (returns it), or charges the attempt and returns null. */
export function admitAttempt(tx: Tx, keys: Key[], now: Date): Throttled | null {
  const blocked = throttleState(tx, keys, now);
  if (!blocked) chargeFailure(tx, keys, now);
  return blocked;
}

/** A fully successful attempt: the account starts again from zero, the address gets its charge back. */
export function settleSuccess(tx: Tx, email: string, keys: Key[]): void {
  clearAccount(tx, email);
  refund(
    tx,
    keys.filter((k) => k.scope === "address"),
  );
}
