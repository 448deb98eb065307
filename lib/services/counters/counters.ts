import { randomInt } from "node:crypto";

import type { Database, Statement } from "better-sqlite3";

import type { Db, Tx } from "@/db/client";
import type { CounterEntry, CounterReader, CounterWindow } from "@/lib/core/policy";
import {
  addDecimal,
  type Decimal,
  formatDecimal,
  parseDecimal,
  subtractDecimal,
  ZERO,
} from "@/lib/core/policy/decimal";

/*
 * Counter heads: a decision's cost does not grow with the traffic inside a window.
 *
 * `counter_events` keeps one row per admitted amount (key, at, id, amount, decision_id), keyed by
 * (key, at, id) and WITHOUT ROWID: a reservation writes one b-tree.
 * `counter_heads` keeps, per key and window shape (`rolling:<ms>`, `calendar:<unit>`), the exact
 * decimal `total` of the key's rows with `at >= from_at`. Invariant, kept by every function in
 * this file inside one transaction: total = Σ amount over counter_events(key, at >= from_at).
 *
 * - read: a decision's window has lower bound `lo` (rolling: now - window + 1; calendar: start).
 *   lo = from_at → total. lo > from_at → the rows in [from_at, lo) left the window: subtract
 *   them (an index seek over (key, at); each row leaves once, so amortised O(1)); when none did,
 *   the head stays where it is unless it is a minute (or half a window) behind; when the old
 *   bound is a whole window behind (a calendar rollover, an idle key) sum [lo, ∞) instead, the
 *   rows already in the new window. lo < from_at (this clock is behind the last decision's) →
 *   total + Σ [lo, from_at), without moving the head back.
 * - reserve: insert the row, add its amount to every head of the key whose bound it is inside
 *   (one UPDATE; the exact decimal sum is a SQL function registered on each connection).
 * - rollback: delete the decision's rows (found by key, time and decision id: the caller names
 *   the keys it reserved), subtract each from the heads it is still inside.
 * - prune: walk the keys; for each, delete rows older than the retention and the heads whose
 *   bound is older than it, in one transaction with one cutoff (such a head would include
 *   deleted rows; the next read rebuilds it from the rows). A walk may take several steps.
 * A key first read (or read with a new window shape after a policy edit) builds its head once
 * from the rows. The upper bound is open: a row stamped after `now` (another process, a clock
 * step) still counts, which can only over-count, never over-admit.
 *
 * PostgreSQL counterpart: the same two tables; `SELECT … FROM counter_heads WHERE key = $1 AND
 * window = $2 FOR UPDATE` (INSERT … ON CONFLICT DO NOTHING first) serialises decisions per key,
 * the subtraction is a range seek on the primary key (key, at, id) — there a b-tree index beside
 * the heap, where SQLite keeps the rows in that b-tree itself — and `total` is a numeric column
 * (so the reserve's UPDATE is `total = total + $1`).
 *
 * Writes to counter_events outside this file (the contact form's limit) must stay on keys that
 * never get a head (`contact:` keys; policy keys are JSON arrays).
 */

export type Reservation = { key: string; amount: string };

/** Rows and heads for windows up to 31 days (the longest rolling window), plus a day's margin. */
export const COUNTER_RETENTION_MS = 32 * 86_400_000;

const OPEN_END = Number.MAX_SAFE_INTEGER;

/** How far a head's bound may trail its window's while nothing leaves it (the retention has a day to spare). */
const HEAD_MAX_LAG_MS = 60_000;

/** Exact decimal addition inside SQL, so one statement moves every head a row counts in. */
const ADD_FUNCTION = "portcullis_decimal_add";

type Head = { window: string; from_at: number; total: string };

type Statements = {
  sums: Statement;
  entries: Statement;
  insert: Statement;
  head: Statement;
  addToHeads: Statement;
  putHead: Statement;
  decisionRows: Statement;
  decisionKeys: Statement;
  rollback: Statement;
  firstKey: Statement;
  nextKey: Statement;
  pruneKeyRows: Statement;
  pruneKeyHeads: Statement;
  pruneHeads: Statement;
};

const cache = new WeakMap<object, Statements>();

function rawClient(db: Db | Tx): Database {
  const withClient = db as unknown as { $client?: Database; session?: { client: Database } };
  const client = withClient.$client ?? withClient.session?.client;
  if (!client) throw new Error("counters: no SQLite handle on this database object");
  return client;
}

function statements(db: Db | Tx): Statements {
  const client = rawClient(db);
  let s = cache.get(client);
  if (!s) {
    client.function(ADD_FUNCTION, { deterministic: true }, addDecimalText);
    s = {
      // Index-only over (key, at, amount): one row per distinct amount in [lo, hi).
      sums: client.prepare(
        "SELECT amount, count(*) AS n FROM counter_events WHERE key = ? AND at >= ? AND at < ? GROUP BY amount",
      ),
      entries: client.prepare(
        "SELECT at, amount FROM counter_events WHERE key = ? AND at >= ? ORDER BY at",
      ),
      insert: client.prepare(
        "INSERT INTO counter_events (key, at, id, amount, decision_id) VALUES (?, ?, ?, ?, ?)",
      ),
      head: client.prepare(
        "SELECT window, from_at, total FROM counter_heads WHERE key = ? AND window = ?",
      ),
      addToHeads: client.prepare(
        `UPDATE counter_heads SET total = ${ADD_FUNCTION}(total, ?) WHERE key = ? AND from_at <= ?`,
      ),
      putHead: client.prepare(
        "INSERT INTO counter_heads (key, window, from_at, total) VALUES (?, ?, ?, ?) ON CONFLICT (key, window) DO UPDATE SET from_at = excluded.from_at, total = excluded.total",
      ),
      decisionRows: client.prepare(
        "SELECT amount FROM counter_events WHERE key = ? AND at = ? AND decision_id = ?",
      ),
      // Reads every row: only for a caller that does not know what the decision reserved.
      decisionKeys: client.prepare(
        "SELECT DISTINCT key FROM counter_events WHERE at = ? AND decision_id = ?",
      ),
      rollback: client.prepare(
        "DELETE FROM counter_events WHERE key = ? AND at = ? AND decision_id = ?",
      ),
      firstKey: client.prepare("SELECT key FROM counter_events ORDER BY key LIMIT 1"),
      nextKey: client.prepare("SELECT key FROM counter_events WHERE key > ? ORDER BY key LIMIT 1"),
      pruneKeyRows: client.prepare("DELETE FROM counter_events WHERE key = ? AND at < ?"),
      pruneKeyHeads: client.prepare("DELETE FROM counter_heads WHERE key = ? AND from_at < ?"),
      pruneHeads: client.prepare("DELETE FROM counter_heads WHERE from_at < ?"),
    };
    cache.set(client, s);
  }
  return s;
}

function addDecimalText(total: unknown, amount: unknown): string {
  const a = typeof total === "string" ? parseDecimal(total) : null;
  const b = typeof amount === "string" ? parseDecimal(amount) : null;
  if (!a || !b)
    throw new Error(`counter head: ${String(total)} + ${String(amount)} is not decimal`);
  return formatDecimal(addDecimal(a, b));
}

/** Runs `fn` in the caller's transaction, or in an IMMEDIATE one of its own. */
function atomically<T>(db: Db | Tx, fn: () => T): T {
  const client = rawClient(db);
  return client.inTransaction ? fn() : client.transaction(fn).immediate();
}

function decimal(text: string, key: string): Decimal {
  const d = parseDecimal(text);
  if (!d) throw new Error(`counter ${key} holds a non-decimal amount`);
  return d;
}

/** Σ amount of the key's rows with lo <= at < hi, exact: equal amounts are counted in SQL. */
function sumRange(s: Statements, key: string, lo: number, hi: number): Decimal {
  let total: Decimal = ZERO;
  for (const row of s.sums.iterate(key, lo, hi) as Iterable<{ amount: string; n: number }>) {
    const d = decimal(row.amount, key);
    total = addDecimal(total, { digits: d.digits * BigInt(row.n), scale: d.scale });
  }
  return total;
}

/** The head's window shape and the inclusive lower bound of `window`. */
function shape(window: CounterWindow): { spec: string; lo: number; span: number } {
  return window.kind === "calendar"
    ? { spec: `calendar:${window.unit}`, lo: window.start, span: window.end - window.start }
    : { spec: `rolling:${window.windowMs}`, lo: window.from + 1, span: window.windowMs };
}

/**
 * The counter's exact value over `window` (rows from its lower bound on, no upper bound), read
 * through the key's head and moving the head forward. Call it inside the IMMEDIATE transaction
 * that reserves, so nothing moves underneath.
 */
export function readCounter(db: Db | Tx, key: string, window: CounterWindow): string {
  const s = statements(db);
  const { spec, lo, span } = shape(window);
  return atomically(db, () => {
    const head = s.head.get(key, spec) as Head | undefined;
    if (head && lo === head.from_at) return head.total;
    if (head && lo < head.from_at) {
      // This clock is behind the last decision's: count the gap, leave the head where it is.
      const gap = sumRange(s, key, lo, head.from_at);
      return formatDecimal(addDecimal(decimal(head.total, key), gap));
    }
    let total: Decimal;
    if (head && lo - head.from_at < span) {
      const leaving = sumRange(s, key, head.from_at, lo);
      // Nothing left the window: the head is exact for `lo` as it is, and is not written. It still
      // moves once it is a minute (or half a window) behind, so a key in use neither falls back to
      // the full count nor has a bound older than the retention, which pruning would take.
      if (
        leaving.digits === 0n &&
        lo - head.from_at < Math.min(span / 2, HEAD_MAX_LAG_MS) &&
        !head.total.startsWith("-")
      )
        return head.total;
      total = subtractDecimal(decimal(head.total, key), leaving);
    } else {
      total = sumRange(s, key, lo, OPEN_END);
    }
    // Only rows this code did not count can make a total go below zero (an older process writing
    // rows without heads, a hand edit): count the window again instead of trusting the head.
    if (total.digits < 0n) total = sumRange(s, key, lo, OPEN_END);
    const text = formatDecimal(total);
    s.putHead.run(key, spec, lo, text);
    return text;
  });
}

/**
 * The exact decimal sum of the key's rows inside `window`, straight from the rows (cost grows
 * with the rows in the window). The reference the heads are checked against; not used to decide.
 */
export function sumCounter(
  db: Db | Tx,
  key: string,
  window: CounterWindow,
  until?: number,
): string {
  const { lo } = shape(window);
  const end = window.kind === "calendar" ? window.end : OPEN_END;
  // `until` (inclusive): the value as it stood at that moment, for re-deciding a past call.
  const hi = until === undefined ? end : Math.min(end, until + 1);
  return formatDecimal(sumRange(statements(db), key, lo, hi));
}

/**
 * A reader that never writes: sums straight from the rows (no head moves) and walks entries
 * for retry-after. For previews of a decision (dry runs, replays), never for admitting a call.
 */
export function readOnlyCounterReader(db: Db | Tx, until?: number): CounterReader {
  const read = ((key: string, window: CounterWindow) =>
    sumCounter(db, key, window, until)) as CounterReader;
  read.entries = (key, window) =>
    statements(db).entries.iterate(key, shape(window).lo) as IterableIterator<CounterEntry>;
  return read;
}

/**
 * A reader with the engine's `CounterReader` shape, bound to one transaction. `entries` walks
 * the window's rows oldest first, lazily: the engine stops as soon as it has its retry-after.
 */
export function counterReader(tx: Db | Tx): CounterReader {
  const read = ((key: string, window: CounterWindow) =>
    readCounter(tx, key, window)) as CounterReader;
  read.entries = (key, window) =>
    statements(tx).entries.iterate(key, shape(window).lo) as IterableIterator<CounterEntry>;
  return read;
}

/** Adds `amount` (signed decimal text) to every head of `key` whose window holds a row stamped `at`. */
function adjustHeads(s: Statements, key: string, at: number, amount: string): void {
  s.addToHeads.run(amount, key, at);
}

/**
 * The `id` of a new counter row: it only has to differ from the other rows of its key stamped
 * the same millisecond, and is random so that processes need not agree on a sequence.
 */
export function newCounterRowId(): number {
  return randomInt(2 ** 48 - 1);
}

/** Records admitted increments; runs in the decision's IMMEDIATE transaction. */
export function reserveCounters(
  tx: Db | Tx,
  reservations: readonly Reservation[],
  decisionId: string,
  at: number,
): void {
  if (reservations.length === 0) return;
  const s = statements(tx);
  atomically(tx, () => {
    for (const r of reservations) {
      const amount = parseDecimal(r.amount);
      if (!amount) throw new Error(`reservation for ${r.key} is not a decimal: ${r.amount}`);
      s.insert.run(r.key, at, newCounterRowId(), r.amount, decisionId);
      adjustHeads(s, r.key, at, formatDecimal(amount));
    }
  });
}

/**
 * Undoes the reservations decision `decisionId` made at `at` (the time it passed to
 * reserveCounters: its decision row's time) on `keys`, after an upstream JSON-RPC error or
 * time-out. Without `keys` every row is read to find them: slow on a large table, kept for
 * callers that did not record what they reserved. Returns rows removed.
 */
export function rollbackReservations(
  db: Db | Tx,
  decisionId: string,
  at: number,
  keys?: readonly string[],
): number {
  const s = statements(db);
  return atomically(db, () => {
    const named =
      keys ?? (s.decisionKeys.all(at, decisionId) as { key: string }[]).map((r) => r.key);
    let removed = 0;
    for (const key of new Set(named)) {
      const rows = s.decisionRows.all(key, at, decisionId) as { amount: string }[];
      if (rows.length === 0) continue;
      s.rollback.run(key, at, decisionId);
      for (const row of rows) {
        const amount = decimal(row.amount, key);
        adjustHeads(s, key, at, formatDecimal({ digits: -amount.digits, scale: amount.scale }));
      }
      removed += rows.length;
    }
    return removed;
  });
}

/**
 * One step of a prune: for the keys after `after` (null: from the first), at most `maxKeys` of
 * them, deletes the rows older than any window can reach and the heads whose bound is older
 * (such a head counted rows deleted here), with one cutoff in one transaction. A walk that
 * starts from the first key also drops every head that old, of keys with no rows left. `next`
 * is where the following step starts; null when the walk is done.
 */
export function pruneCounterKeys(
  db: Db | Tx,
  now: number,
  after: string | null,
  maxKeys: number,
  retentionMs = COUNTER_RETENTION_MS,
): { removed: number; next: string | null } {
  const s = statements(db);
  const cutoff = now - retentionMs;
  return atomically(db, () => {
    if (after === null) s.pruneHeads.run(cutoff);
    let removed = 0;
    let row = (after === null ? s.firstKey.get() : s.nextKey.get(after)) as
      { key: string } | undefined;
    for (let done = 0; row; done++) {
      if (done >= Math.max(1, maxKeys)) return { removed, next: after };
      s.pruneKeyHeads.run(row.key, cutoff);
      removed += s.pruneKeyRows.run(row.key, cutoff).changes;
      after = row.key;
      row = s.nextKey.get(row.key) as { key: string } | undefined;
    }
    return { removed, next: null };
  });
}

/**
 * Deletes increments older than any window can reach, and the heads that counted any of them,
 * for every key in one transaction. Returns rows removed.
 */
export function pruneCounters(
  db: Db | Tx,
  now: number,
  retentionMs = COUNTER_RETENTION_MS,
): number {
  return pruneCounterKeys(db, now, null, Number.POSITIVE_INFINITY, retentionMs).removed;
}
