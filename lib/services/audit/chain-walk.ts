import { hash as oneShotHash } from "node:crypto";

import type { Database, Statement } from "better-sqlite3";

import { type Db, sqliteHandle, type Tx } from "@/db/client";
import { HASHED_COLUMNS, normalizeRow, rowHash } from "./chain";
import { walkInParallel } from "./chain-walk-parallel";
import { fromSql } from "./verify";

const snake = (c: string) => c.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);

/**
 * The exact text `rowHash` hashes, built by SQLite: `prev_hash \n seq \n` and the canonical JSON
 * of the hashed columns (json_object keeps its arguments' order, given here in canonicalJson's
 * sorted order), as UTF-8 bytes. One value per row instead of 29, no object per row, no
 * re-serialising in JS. Where SQLite writes a value differently from JSON.stringify (a REAL such
 * as 1e21), the hash differs and the row is checked again the canonical way, so the fast path
 * never accepts a row the canonical form rejects.
 */
export const HASH_INPUT = `CAST(prev_hash || char(10) || seq || char(10) || json_object(${[
  ...HASHED_COLUMNS,
]
  .sort()
  .map((c) => `'${c}', ${snake(c)}`)
  .join(", ")}) AS BLOB)`;

const statements = new WeakMap<Database, { range: Statement; one: Statement }>();

function prepared(client: Database) {
  let s = statements.get(client);
  if (!s) {
    s = {
      range: client
        .prepare(
          `SELECT seq, prev_hash, hash, ${HASH_INPUT} FROM audit_events
           WHERE seq > ? AND seq <= ? ORDER BY seq`,
        )
        .raw(true),
      one: client.prepare("SELECT * FROM audit_events WHERE seq = ?"),
    };
    statements.set(client, s);
  }
  return s;
}

/** Where a walk stands: the last row it accepted (or the start) and how many it accepted. */
export type WalkState = { seq: number; hash: string; rows: number };

export type WalkResult = WalkState & {
  /** The seq of the first row that failed a check (link, sequence, content or checkpoint), or null. */
  stoppedAt: number | null;
};

/**
 * Checks rows (state.seq, to] in order, at most `limit` of them: each row's seq follows the last,
 * its prev_hash is the last row's hash, its hash is the SHA-256 of its content, and where
 * `checkpoints` names its seq, its hash is the signed one. Stops at the first row that fails.
 */
export function walkRange(
  db: Db | Tx,
  state: WalkState,
  to: number,
  limit: number,
  checkpoints?: ReadonlyMap<number, string>,
): WalkResult {
  const client = sqliteHandle(db);
  const { range, one } = prepared(client);
  let { seq: last, hash: prev, rows } = state;
  const upTo = Math.min(to, last + limit);
  for (const r of range.iterate(last, upTo) as Iterable<[number, string, string, Buffer]>) {
    const [seq, prevHash, stored, input] = r;
    let ok = seq === last + 1 && prevHash === prev;
    if (ok && oneShotHash("sha256", input, "hex") !== stored) {
      const row = fromSql(one.get(seq) as Record<string, unknown>);
      ok = rowHash(prev, seq, normalizeRow(row)) === stored;
    }
    if (ok && checkpoints) {
      const signed = checkpoints.get(seq);
      ok = signed === undefined || signed === stored;
    }
    if (!ok) return { seq: last, hash: prev, rows, stoppedAt: seq };
    last = seq;
    prev = stored;
    rows += 1;
  }
  return { seq: last, hash: prev, rows, stoppedAt: null };
}

/** Rows per step of a walk that reports progress (and, when asynchronous, yields between steps). */
export const WALK_STEP = 50_000;

/**
 * Walks from `state` to `to` (the head when omitted) in steps, calling `onProgress` after each.
 * Returns at the first failing row, or at the end.
 */
export function walkChain(
  db: Db | Tx,
  state: WalkState,
  opts: {
    to?: number;
    checkpoints?: ReadonlyMap<number, string>;
    onProgress?: (done: number, total: number) => void;
  } = {},
): WalkResult {
  const to = opts.to ?? headSeq(db);
  const total = Math.max(0, to - state.seq);
  let at: WalkResult = { ...state, stoppedAt: null };
  for (;;) {
    const before = at.seq;
    at = walkRange(db, at, to, WALK_STEP, opts.checkpoints);
    opts.onProgress?.(Math.min(total, at.seq - state.seq), total);
    if (at.stoppedAt !== null || at.seq >= to || at.seq - before < WALK_STEP) return at;
  }
}

/**
 * The same walk, yielding to the event loop between steps so a server stays responsive; on a
 * file database and a long range, split between two threads (see walkInParallel).
 */
export async function walkChainAsync(
  db: Db | Tx,
  state: WalkState,
  opts: Parameters<typeof walkChain>[2] = {},
): Promise<WalkResult> {
  const to = opts.to ?? headSeq(db);
  const total = Math.max(0, to - state.seq);
  let done = 0;
  const parallel = await walkInParallel(db, state, to, opts.checkpoints, (n) => {
    done += n;
    opts.onProgress?.(Math.min(total, done), total);
  });
  let at: WalkResult = parallel ?? { ...state, stoppedAt: null };
  if (parallel) {
    if (at.stoppedAt !== null || at.seq >= to) return at;
  }
  for (;;) {
    const before = at.seq;
    at = walkRange(db, at, to, WALK_STEP, opts.checkpoints);
    opts.onProgress?.(Math.min(total, at.seq - state.seq), total);
    if (at.stoppedAt !== null || at.seq >= to || at.seq - before < WALK_STEP) return at;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export function headSeq(db: Db | Tx): number {
  return sqliteHandle(db)
    .prepare("SELECT coalesce(max(seq), 0) FROM audit_events")
    .pluck()
    .get() as number;
}

const offered = new WeakMap<Database, { start: { seq: number; hash: string }; state: WalkState }>();

/**
 * Hands the next verification on this handle a prefix the caller has just walked (asynchronously,
 * showing progress) from `start`. Taken once; the caller must verify right after, synchronously.
 */
export function offerVerifiedPrefix(
  db: Db | Tx,
  start: { seq: number; hash: string },
  state: WalkState,
): void {
  offered.set(sqliteHandle(db), { start, state });
}

/**
 * The prefix offered for a walk from `start`, if any, provided every checkpoint inside it names
 * the hash stored there (the walk did not know them); otherwise null and the walk starts over.
 */
export function takeVerifiedPrefix(
  db: Db | Tx,
  start: { seq: number; hash: string },
  checkpoints?: ReadonlyMap<number, string>,
): WalkState | null {
  const client = sqliteHandle(db);
  const o = offered.get(client);
  offered.delete(client);
  if (!o || o.start.seq !== start.seq || o.start.hash !== start.hash) return null;
  const hashAt = client.prepare("SELECT hash FROM audit_events WHERE seq = ?").pluck();
  for (const [seq, signed] of checkpoints ?? [])
    if (seq <= o.state.seq && hashAt.get(seq) !== signed) return null;
  return o.state;
}
