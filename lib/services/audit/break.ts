import type { Db } from "@/db/client";
import type { AuditEvent } from "@/db/schema";
import { normalizeRow, rowHash } from "./chain";

/** How far from a broken row to look for the position a moved row was written at. */
const MOVE_WINDOW = 64;

export type BreakSite = {
  /** The sequence number the walk expected next. */
  expectedSeq: number;
  /** The row found there (its seq may be larger: rows are missing). */
  row: AuditEvent;
  /** The hash of the last good row (the genesis value before the first). */
  prevHash: string;
  /** The row read back from SQL with its columns in camelCase. */
  read: (raw: Record<string, unknown>) => AuditEvent;
};

/**
 * Names the tampering a chain break looks like, for a reader who must act on it: rows deleted,
 * a row edited, a row inserted, rows reordered, or a row whose hash was recomputed. Runs only
 * once a break is found, so it may read around it; the walk itself stays one pass.
 */
export function describeBreak(db: Db, site: BreakSite): string {
  const { expectedSeq: e, row, prevHash } = site;
  if (row.seq > e) {
    const span = row.seq - 1 === e ? `row ${e} is missing` : `rows ${e}–${row.seq - 1} are missing`;
    return `${span} (deleted): the sequence jumps from ${e - 1} to ${row.seq}`;
  }
  const at = (seq: number) => {
    const raw = db.$client.prepare("SELECT * FROM audit_events WHERE seq = ?").get(seq);
    return raw ? site.read(raw as Record<string, unknown>) : undefined;
  };
  const next = at(e + 1);
  const linked = row.prevHash === prevHash;
  const intact = wasWrittenAt(row, e);

  if (!linked && e > 2 && row.prevHash === at(e - 2)?.hash) {
    return `row ${e - 1} was inserted: row ${e} links to row ${e - 2}, not to it`;
  }
  const writtenAt = intact ? e : movedFrom(row, e);
  if (writtenAt !== null && writtenAt > e && next && wasWrittenAt(next, writtenAt + 1)) {
    const n = writtenAt - e;
    return `${n === 1 ? "a row was" : `${n} rows were`} deleted before row ${e} and the rows after it renumbered`;
  }
  if (writtenAt !== null && writtenAt !== e) {
    return `rows were reordered: row ${e} holds the record written as row ${writtenAt}`;
  }
  if (!intact && next && next.prevHash === prevHash) {
    return `row ${e} was inserted: row ${e + 1} links to row ${e - 1}, not to it`;
  }
  if (linked) {
    return `row ${e} was edited: its content does not match its hash`;
  }
  if (intact) {
    return (
      `row ${e} does not link to row ${e - 1}: row ${e - 1} was rewritten and its hash ` +
      `recomputed, or row ${e} was replaced`
    );
  }
  return `row ${e} was altered: neither its link to row ${e - 1} nor its content matches its hash`;
}

/** The row's stored hash is the one it would have at `seq`: its content is as written there. */
function wasWrittenAt(row: AuditEvent, seq: number): boolean {
  return rowHash(row.prevHash, seq, normalizeRow(row)) === row.hash;
}

/** The position near `e` at which a row's content and hash were written, if any. */
function movedFrom(row: AuditEvent, e: number): number | null {
  for (let d = 1; d <= MOVE_WINDOW; d++) {
    for (const s of [e - d, e + d]) if (s >= 1 && wasWrittenAt(row, s)) return s;
  }
  return null;
}
