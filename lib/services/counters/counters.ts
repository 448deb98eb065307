import type { Database, Statement } from "better-sqlite3";

import type { Db, Tx } from "@/db/client";
import {
  addDecimal,
  type Decimal,
  formatDecimal,
  parseDecimal,
  ZERO,
} from "@/lib/core/policy/decimal";
import type { CounterReader, CounterWindow } from "@/lib/core/policy";

export type Reservation = { key: string; amount: string };

type Statements = {
  sums: Statement;
  entries: Statement;
  insert: Statement;
  rollback: Statement;
  prune: Statement;
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
    // Calendar windows are [start, end), rolling windows (from, to]: the bounds are passed as
    // lo/hi with an inclusive flag folded into the value (+1 ms on an exclusive lower bound).
    s = {
      // Index-only over (key, at, amount): one row per distinct amount.
      sums: client.prepare(
        "SELECT amount, count(*) AS n FROM counter_events WHERE key = ? AND at >= ? AND at < ? GROUP BY amount",
      ),
      entries: client.prepare(
        "SELECT at, amount FROM counter_events WHERE key = ? AND at >= ? AND at < ?",
      ),
      insert: client.prepare(
        "INSERT INTO counter_events (key, at, amount, decision_id) VALUES (?, ?, ?, ?)",
      ),
      rollback: client.prepare("DELETE FROM counter_events WHERE decision_id = ?"),
      prune: client.prepare("DELETE FROM counter_events WHERE at < ?"),
    };
    cache.set(client, s);
  }
  return s;
}

// Rolling windows have no upper bound here: a row stamped slightly after this process's `now`
// (another process, a clock step) still counts. That can only over-count, never over-admit.
function bounds(window: CounterWindow): [number, number] {
  return window.kind === "calendar"
    ? [window.start, window.end]
    : [window.from + 1, Number.MAX_SAFE_INTEGER];
}

/**
 * The exact decimal sum of a counter over a window: equal amounts are counted in SQL (an
 * index-only scan) and multiplied out in bigint arithmetic, never as floats. Call it inside the
 * IMMEDIATE transaction that reserves, so the sum cannot move underneath.
 */
export function sumCounter(db: Db | Tx, key: string, window: CounterWindow): string {
  const [lo, hi] = bounds(window);
  let total: Decimal = ZERO;
  for (const row of statements(db).sums.iterate(key, lo, hi) as Iterable<{ amount: string; n: number }>) {
    const d = parseDecimal(row.amount);
    if (!d) throw new Error(`counter ${key} holds a non-decimal amount`);
    total = addDecimal(total, { digits: d.digits * BigInt(row.n), scale: d.scale });
  }
  return formatDecimal(total);
}

/** A reader with the engine's `CounterReader` shape, bound to one transaction. */
export function counterReader(tx: Db | Tx): CounterReader {
  const read = ((key: string, window: CounterWindow) =>
    sumCounter(tx, key, window)) as CounterReader;
  read.entries = (key, window) => {
    const [lo, hi] = bounds(window);
    return statements(tx).entries.all(key, lo, hi) as { at: number; amount: string }[];
  };
  return read;
}

/** Records admitted increments; runs in the decision's IMMEDIATE transaction. */
export function reserveCounters(
  tx: Tx,
  reservations: readonly Reservation[],
  decisionId: string,
  at: number,
): void {
  if (reservations.length === 0) return;
  const { insert } = statements(tx);
  for (const r of reservations) {
    if (!parseDecimal(r.amount))
      throw new Error(`reservation for ${r.key} is not a decimal: ${r.amount}`);
    insert.run(r.key, at, r.amount, decisionId);
  }
}

/** Undoes a decision's reservations (upstream JSON-RPC error or time-out). Returns rows removed. */
export function rollbackReservations(db: Db | Tx, decisionId: string): number {
  return statements(db).rollback.run(decisionId).changes;
}

/** The longest window a counter can have is a calendar day or a rolling window of this size. */
export const COUNTER_RETENTION_MS = 8 * 86_400_000;

/** Deletes increments older than any window can reach. Returns rows removed. */
export function pruneCounters(
  db: Db | Tx,
  now: number,
  retentionMs = COUNTER_RETENTION_MS,
): number {
  return statements(db).prune.run(now - retentionMs).changes;
}
