import { type Db, sqliteHandle, type Tx } from "@/db/client";
import { epochMinute } from "@/lib/core/audit/rollup";

export type SeqBounds = { lo: number; hi: number };

/**
 * The seq range that holds every indexed row (seq ≤ the watermark) with occurred_at in
 * [from, to], for a caller that still applies the time condition itself. audit_minutes holds
 * each minute's first and last seq, so a clock that stepped back or a row committed late cannot
 * fall outside. Reads only the minutes between the bound and now. Rows after the watermark are
 * not in audit_minutes yet: the caller scans them whatever their time.
 */
export function seqBounds(
  db: Db | Tx,
  from: number | undefined,
  to: number | undefined,
): SeqBounds {
  const client = sqliteHandle(db);
  let lo = 1;
  let hi = Number.MAX_SAFE_INTEGER;
  if (from !== undefined) {
    const first = client
      .prepare("SELECT min(first_seq) FROM audit_minutes WHERE minute >= ?")
      .pluck()
      .get(epochMinute(from)) as number | null;
    lo = first ?? Number.MAX_SAFE_INTEGER;
  }
  if (to !== undefined) {
    const last = client
      .prepare(
        `SELECT last_seq FROM audit_minutes INDEXED BY audit_minutes_last_seq_idx
         WHERE minute <= ? ORDER BY last_seq DESC LIMIT 1`,
      )
      .pluck()
      .get(epochMinute(to)) as number | undefined;
    hi = last ?? 0;
  }
  return { lo, hi };
}

/**
 * The first seq that may hold a row with occurred_at ≥ `from`, indexed or not: a lower bound
 * for a primary-key range scan that still applies the time condition.
 */
export function firstSeqSince(db: Db | Tx, from: number): number {
  const mark = sqliteHandle(db)
    .prepare("SELECT indexed_seq FROM audit_index_state WHERE id = 1")
    .pluck()
    .get() as number;
  return Math.min(seqBounds(db, from, undefined).lo, mark + 1);
}
