/**
 * Sign-in backoff. Each account and each client address has a failure count; once it passes the
 * free allowance, the next attempt must wait a delay that doubles with every further failure, up
 * to a cap. Attempts during the delay are refused without checking the password; the first
 * attempt after it is checked normally, so the right password always gets in after at most the
 * cap. A count is forgotten after a quiet spell with no failure.
 */
export type BackoffSpec = { free: number; baseMs: number; capMs: number };

/** A typo or two costs nothing; a guesser is down to one try per 30 s after eight misses. */
export const ACCOUNT_BACKOFF: BackoffSpec = { free: 3, baseMs: 1_000, capMs: 30_000 };
/** Addresses are shared (offices, NAT), so they get a larger allowance before slowing down. */
export const ADDRESS_BACKOFF: BackoffSpec = { free: 10, baseMs: 1_000, capMs: 30_000 };
/** After this long without a failure the count starts again from zero. */
export const BACKOFF_DECAY_MS = 15 * 60 * 1000;

/** How long after the last failure the next attempt must wait, given `failures` so far. */
export function backoffDelayMs(failures: number, spec: BackoffSpec): number {
  if (failures < spec.free) return 0;
  const exponent = Math.min(failures - spec.free, 30);
  return Math.min(spec.capMs, spec.baseMs * 2 ** exponent);
}

/** The failure count still in force at `nowMs` (zero once the quiet spell has passed). */
export function liveFailures(failures: number, lastFailureMs: number, nowMs: number): number {
  return nowMs - lastFailureMs >= BACKOFF_DECAY_MS ? 0 : failures;
}

/** Milliseconds until an attempt is allowed again; 0 when it is allowed now. */
export function backoffWaitMs(
  failures: number,
  lastFailureMs: number,
  nowMs: number,
  spec: BackoffSpec,
): number {
  const live = liveFailures(failures, lastFailureMs, nowMs);
  return Math.max(0, lastFailureMs + backoffDelayMs(live, spec) - nowMs);
}
