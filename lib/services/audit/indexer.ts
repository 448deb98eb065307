import type { Database, Statement } from "better-sqlite3";

import { type Db, sqliteHandle, type Tx } from "@/db/client";
import {
  addRow,
  counts,
  type Counts,
  emptyRollup,
  epochMinute,
  mergeRollup,
  type Rollup,
  type RollupSource,
  TIERS,
} from "@/lib/core/audit/rollup";

/**
 * The text of a row as the search index holds it. Also used for the rows after the watermark
 * (a temporary table with the same tokenizer), so both halves of a search match alike.
 */
export const SEARCH_COLUMNS = "action, actor, server, tool, decision, rule, text, arguments";
export const SEARCH_SELECT = `SELECT seq, action, concat_ws(' ', actor_id, actor_label), server, tool,
  decision, rule, concat_ws(' ', cause, reason, message), arguments FROM audit_events`;
export const SEARCH_TOKENIZER = "tokenize='unicode61 remove_diacritics 2'";

/** Rows per write transaction: short enough that a gateway's commit never waits long behind it. */
export const INDEX_BATCH = 1000;

type Statements = {
  mark: Statement;
  head: Statement;
  rows: Statement;
  search: Statement;
  minutes: Statement;
  readRollup: Statement;
  writeRollup: Statement;
  setMark: Statement;
};

const cache = new WeakMap<Database, Statements>();

function statements(client: Database): Statements {
  let s = cache.get(client);
  if (!s) {
    s = {
      mark: client.prepare("SELECT indexed_seq FROM audit_index_state WHERE id = 1").pluck(),
      head: client.prepare("SELECT coalesce(max(seq), 0) FROM audit_events").pluck(),
      rows: client.prepare(
        `SELECT occurred_at AS occurredAt, action, actor_label AS actorLabel, server, tool, decision,
           rule, outcome, latency_ms AS latencyMs FROM audit_events WHERE seq > ? AND seq <= ?`,
      ),
      search: client.prepare(
        `INSERT INTO audit_search (rowid, ${SEARCH_COLUMNS}) ${SEARCH_SELECT} WHERE seq > ? AND seq <= ?`,
      ),
      minutes: client.prepare(
        `INSERT INTO audit_minutes (minute, first_seq, last_seq)
         SELECT occurred_at / 60000, min(seq), max(seq) FROM audit_events
         WHERE seq > ? AND seq <= ? GROUP BY occurred_at / 60000
         ON CONFLICT (minute) DO UPDATE SET first_seq = min(first_seq, excluded.first_seq),
           last_seq = max(last_seq, excluded.last_seq)`,
      ),
      readRollup: client.prepare(
        `SELECT calls, refused, denied, upstream_errors AS upstreamErrors, denied_tools AS deniedTools,
           denied_rules AS deniedRules, latencies FROM audit_rollups
         WHERE tier = ? AND bucket = ? AND server = ? AND agent = ?`,
      ),
      writeRollup: client.prepare(
        `INSERT OR REPLACE INTO audit_rollups (tier, bucket, server, agent, calls, refused, denied,
           upstream_errors, denied_tools, denied_rules, latencies) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      setMark: client.prepare("UPDATE audit_index_state SET indexed_seq = ? WHERE id = 1"),
    };
    cache.set(client, s);
  }
  return s;
}

export type IndexProgress = { indexedSeq: number; headSeq: number };

/** How far the index reaches and where the log ends. */
export function indexProgress(db: Db | Tx): IndexProgress {
  const s = statements(sqliteHandle(db));
  return { indexedSeq: s.mark.get() as number, headSeq: s.head.get() as number };
}

type StoredRollup = Omit<Rollup, "deniedTools" | "deniedRules" | "latencies"> & {
  deniedTools: string;
  deniedRules: string;
  latencies: string;
};

const parseCounts = (text: string): Counts => JSON.parse(text) as Counts;

/**
 * Indexes one batch of rows after the watermark in its own IMMEDIATE transaction: their search
 * text, their minutes' seq ranges and their share of every rollup bucket. Several processes may
 * run it at once: each reads the watermark under the write lock. Returns the rows indexed.
 */
export function indexBatch(db: Db, maxRows = INDEX_BATCH): number {
  const client = sqliteHandle(db);
  const s = statements(client);
  return client
    .transaction(() => {
      const from = s.mark.get() as number;
      const head = s.head.get() as number;
      const to = Math.min(head, from + maxRows);
      if (to <= from) return 0;
      s.search.run(from, to);
      s.minutes.run(from, to);
      const deltas = new Map<string, { key: [number, number, string, string]; r: Rollup }>();
      for (const row of s.rows.iterate(from, to) as Iterable<RollupSource>) {
        if (!counts(row)) continue;
        const minute = epochMinute(row.occurredAt);
        const server = row.server ?? "";
        const agent = row.actorLabel ?? "";
        for (const tier of TIERS) {
          const bucket = Math.floor(minute / tier) * tier;
          const id = `${tier}\u0000${bucket}\u0000${server}\u0000${agent}`;
          let d = deltas.get(id);
          if (!d) deltas.set(id, (d = { key: [tier, bucket, server, agent], r: emptyRollup() }));
          addRow(d.r, row);
        }
      }
      for (const { key, r } of deltas.values()) {
        const stored = s.readRollup.get(...key) as StoredRollup | undefined;
        if (stored) {
          mergeRollup(r, {
            ...stored,
            deniedTools: parseCounts(stored.deniedTools),
            deniedRules: parseCounts(stored.deniedRules),
            latencies: parseCounts(stored.latencies),
          });
        }
        s.writeRollup.run(
          ...key,
          r.calls,
          r.refused,
          r.denied,
          r.upstreamErrors,
          JSON.stringify(r.deniedTools),
          JSON.stringify(r.deniedRules),
          JSON.stringify(r.latencies),
        );
      }
      s.setMark.run(to);
      return to - from;
    })
    .immediate();
}

/**
 * Indexes up to `maxRows` rows in batches (each its own short transaction). Returns how many
 * rows it indexed.
 */
export function catchUpIndex(db: Db, maxRows = Number.POSITIVE_INFINITY): number {
  let done = 0;
  while (done < maxRows) {
    const n = indexBatch(db, Math.min(INDEX_BATCH, maxRows - done));
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Rows a query may find after the watermark before it first indexes them itself. */
export const TAIL_BEFORE_QUERY = 500;
/** The most a query indexes on its own before it reads (the background indexer does the rest). */
const INDEX_BEFORE_QUERY = 20_000;

/**
 * Called before a console query: indexes the rows after the watermark when there are more than
 * a few, so the part the query scans itself stays small. Never fails the query: a read-only
 * handle or a busy database leaves the scan a little longer, still exact.
 */
export function freshenIndex(db: Db | Tx): void {
  try {
    const { indexedSeq, headSeq } = indexProgress(db);
    if (headSeq - indexedSeq > TAIL_BEFORE_QUERY && !sqliteHandle(db).inTransaction) {
      catchUpIndex(db as Db, INDEX_BEFORE_QUERY);
    }
  } catch {
    // The query that follows scans the unindexed rows itself.
  }
}

const indexers = globalThis as typeof globalThis & { __portcullisIndexer?: NodeJS.Timeout };

/**
 * Keeps the index current in this process: every `everyMs`, indexes what was appended since,
 * one short transaction per batch, yielding to the event loop between batches.
 */
export function startAuditIndexer(db: Db, everyMs = 500): { stop: () => void } {
  if (indexers.__portcullisIndexer) return { stop: () => undefined };
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    const step = () => {
      let n = 0;
      try {
        n = indexBatch(db);
      } catch {
        n = 0; // busy or read-only: try again on the next tick
      }
      if (n > 0) setImmediate(step);
      else running = false;
    };
    step();
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  indexers.__portcullisIndexer = timer;
  return {
    stop: () => {
      clearInterval(timer);
      indexers.__portcullisIndexer = undefined;
    },
  };
}

/**
 * For retention: drops the search entries and minute ranges of rows up to `throughSeq` once
 * those rows have left audit_events (queries join back to audit_events, so leftovers are never
 * shown, only read). Rollups stay: they count what happened, whatever has been archived since.
 */
export function forgetIndexedRows(db: Db | Tx, throughSeq: number): void {
  const client = sqliteHandle(db);
  client.prepare("DELETE FROM audit_search WHERE rowid <= CAST(? AS INTEGER)").run(throughSeq);
  client.prepare("DELETE FROM audit_minutes WHERE last_seq <= ?").run(throughSeq);
}
