import { getTableColumns } from "drizzle-orm";

import { type Db, sqliteHandle, type Tx } from "@/db/client";
import { type AuditEvent, auditEvents } from "@/db/schema";
import type { AuditFilter } from "@/lib/core/audit/inputs";
import { type Clause, exactClauses } from "./filters";
import { freshenIndex, indexProgress } from "./indexer";
import { EVENT_ID, loadTailSearch, narrowingQuery, textQuery } from "./search";
import { seqBounds } from "./seq-range";

/** Every column, named as the drizzle row type names it. */
export const EVENT_COLUMNS = Object.entries(getTableColumns(auditEvents))
  .map(([key, column]) => `audit_events.${column.name} AS ${key}`)
  .join(", ");

export type RowsQuery = {
  filter: AuditFilter;
  newest: boolean;
  /** Keyset position: rows strictly after it in the chosen order. */
  cursor?: number;
  limit: number;
  /** Skip indexing the unindexed rows first (a caller that reads many pages did it once). */
  fresh?: boolean;
  /** Free text also matches tool arguments: only for callers who may see them unmasked. */
  searchArguments?: boolean;
};

/**
 * Rows matching a filter in seq order, exact and current: the indexed part of the log (seq up
 * to the watermark) is read through the full-text index and the per-minute seq map, the rows
 * after it are scanned directly with the same conditions. One read transaction, so both parts
 * come from one snapshot.
 */
export function matchingRows(db: Db | Tx, query: RowsQuery): AuditEvent[] {
  if (!query.fresh) freshenIndex(db);
  const client = sqliteHandle(db);
  return client.transaction(() => readMatching(db, query, EVENT_COLUMNS, false))() as AuditEvent[];
}

/**
 * The same rows as arrays of the expressions in `select` (over audit_events), for a caller that
 * reads the whole log and cannot afford an object per row.
 */
export function matchingRowArrays(db: Db | Tx, query: RowsQuery, select: string): unknown[][] {
  if (!query.fresh) freshenIndex(db);
  const client = sqliteHandle(db);
  return client.transaction(() => readMatching(db, query, select, true))() as unknown[][];
}

function readMatching(
  db: Db | Tx,
  { filter: f, newest, cursor, limit, searchArguments = false }: RowsQuery,
  select: string,
  raw: boolean,
): unknown[] {
  const client = sqliteHandle(db);
  const mark = indexProgress(db).indexedSeq;
  const withArguments = searchArguments;
  const text = f.q && !EVENT_ID.test(f.q) ? textQuery(f.q, withArguments) : null;
  const qMode = !f.q ? null : EVENT_ID.test(f.q) ? "id" : text ? "text" : "like";
  const exact = exactClauses(f, qMode === "id" || qMode === "like" ? qMode : null, withArguments);
  const bounds = seqBounds(db, f.from, f.to);
  let after = 0; // rows strictly after this seq, and before `before`
  let before = Number.MAX_SAFE_INTEGER;
  if (cursor !== undefined) {
    if (newest) before = cursor;
    else after = cursor;
  }
  const order = newest ? "DESC" : "ASC";
  const where = (clauses: Clause[]) => ({
    sql: clauses.map((c) => c.sql).join(" AND "),
    params: clauses.flatMap((c) => c.params),
  });

  const tail = (n: number): unknown[] => {
    const from = Math.max(after, mark) + 1;
    if (n <= 0 || from >= before) return [];
    const clauses: Clause[] = [
      { sql: "audit_events.seq BETWEEN ? AND ?", params: [from, before - 1] },
      ...exact,
    ];
    if (text) {
      const table = loadTailSearch(client, mark);
      clauses.push({
        sql: `audit_events.seq IN (SELECT rowid FROM temp.${table} WHERE ${table} MATCH ?)`,
        params: [text],
      });
    }
    const w = where(clauses);
    return client
      .prepare(`SELECT ${select} FROM audit_events WHERE ${w.sql} ORDER BY seq ${order} LIMIT ?`)
      .raw(raw)
      .all(...w.params, n);
  };

  const indexed = (n: number): unknown[] => {
    const lower = Math.max(bounds.lo, after + 1);
    const to = Math.min(bounds.hi, mark, before - 1);
    if (n <= 0 || lower > to) return [];
    const match = narrowingQuery(f, withArguments);
    if (match === null) {
      const w = where([{ sql: "audit_events.seq BETWEEN ? AND ?", params: [lower, to] }, ...exact]);
      return client
        .prepare(`SELECT ${select} FROM audit_events WHERE ${w.sql} ORDER BY seq ${order} LIMIT ?`)
        .raw(raw)
        .all(...w.params, n);
    }
    // The index walks its matches in rowid order and stops at the limit; CROSS JOIN keeps it
    // the outer loop, so each match costs one primary-key lookup. The bounds are cast because
    // the driver binds numbers as REAL, and FTS5 seeks only on an INTEGER rowid bound: given a
    // REAL one it walks from the end of the doclist (20 ms for a deep page at 1M rows, not 0.4).
    const w = where([
      {
        sql: "audit_search MATCH ? AND audit_search.rowid BETWEEN CAST(? AS INTEGER) AND CAST(? AS INTEGER)",
        params: [match, lower, to],
      },
      ...exact,
    ]);
    return client
      .prepare(
        `SELECT ${select} FROM audit_search CROSS JOIN audit_events
         ON audit_events.seq = audit_search.rowid WHERE ${w.sql}
         ORDER BY audit_search.rowid ${order} LIMIT ?`,
      )
      .raw(raw)
      .all(...w.params, n);
  };

  if (newest) {
    const rows = tail(limit);
    return rows.concat(indexed(limit - rows.length));
  }
  const rows = indexed(limit);
  return rows.concat(tail(limit - rows.length));
}
