import { setImmediate as yieldToLoop } from "node:timers/promises";

import type { Db } from "@/db/client";
import { sqliteHandle } from "@/db/client";
import { withTransaction } from "../context";
import { GENESIS_HASH } from "./chain";
import {
  type CheckpointReason,
  checkpointProblem,
  lastCheckpoint,
  type SignedCheckpoint,
  signCheckpointWith,
  storeCheckpoint,
} from "./checkpoints";
import type { SigningKey, TrustedKeys } from "./signing-key";
import { archiveBoundary, type ChainStart, verifyChain } from "./verify";

export type CheckpointSchedule = { everyRows: number; everyMinutes: number };

export type CheckpointOutcome =
  | { written: SignedCheckpoint }
  | { skipped: "empty" | "not due" | "up to date" }
  | { refused: string };

/** Rows verified between yields, so a long stretch never holds the event loop for long. */
export const PAGE_ROWS = 2_000;

export function chainHead(db: Db): ChainStart | null {
  const row = sqliteHandle(db)
    .prepare("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
    .get() as ChainStart | undefined;
  return row ?? null;
}

/**
 * Verifies rows (start.seq, to] a page at a time, yielding between pages. Returns the hash at
 * `to`, or why the chain is broken.
 */
export async function verifyRange(
  db: Db,
  start: ChainStart,
  to: number,
  pageRows = PAGE_ROWS,
): Promise<{ hash: string } | { why: string; seq: number }> {
  let at = start;
  while (at.seq < to) {
    const end = Math.min(at.seq + pageRows, to);
    const report = verifyChain(db, { start: at, to: end });
    if (!report.ok) return { why: report.why, seq: report.brokenSeq };
    if (report.headSeq !== end) {
      return { why: `rows ${report.headSeq + 1}–${end} are missing`, seq: report.headSeq + 1 };
    }
    at = { seq: end, hash: report.headHash };
    if (at.seq < to) await yieldToLoop();
  }
  return { hash: at.hash };
}

/**
 * Signs the head of the chain, after checking the rows since the last checkpoint the key
 * trusts (or since the archive boundary): a checkpoint never vouches for a broken chain.
 * Runs outside any decision's transaction; only the final insert takes the write lock.
 */
export async function writeCheckpoint(
  db: Db,
  key: SigningKey,
  trusted: TrustedKeys,
  reason: CheckpointReason,
  now: () => Date,
  pageRows = PAGE_ROWS,
): Promise<CheckpointOutcome> {
  const head = chainHead(db);
  if (!head) return { skipped: "empty" };
  const last = lastCheckpoint(db);
  if (last && last.seq >= head.seq) return { skipped: "up to date" };
  const boundary = archiveBoundary(db);
  const from =
    last && !checkpointProblem(last, trusted) && last.seq >= (boundary?.seq ?? 0)
      ? { seq: last.seq, hash: last.hash }
      : (boundary ?? { seq: 0, hash: GENESIS_HASH });
  const checked = await verifyRange(db, from, head.seq, pageRows);
  if ("why" in checked) return { refused: `chain broken at row ${checked.seq}: ${checked.why}` };
  const cp = signCheckpointWith(key, head.seq, checked.hash, now());
  return withTransaction({ db }, (tx) => {
    const newest = lastCheckpoint(tx);
    if (newest && newest.seq >= cp.seq) return { skipped: "up to date" } as const;
    storeCheckpoint(tx, cp, reason, now().getTime());
    return { written: cp };
  });
}

/** Whether the schedule calls for a checkpoint now: N rows or M minutes since the last one. */
export function checkpointDue(db: Db, schedule: CheckpointSchedule, now: Date): boolean {
  const head = chainHead(db);
  if (!head) return false;
  const last = lastCheckpoint(db);
  if (!last) return schedule.everyRows > 0 || schedule.everyMinutes > 0;
  if (last.seq >= head.seq) return false;
  if (schedule.everyRows > 0 && head.seq - last.seq >= schedule.everyRows) return true;
  return (
    schedule.everyMinutes > 0 &&
    now.getTime() - Date.parse(last.at) >= schedule.everyMinutes * 60_000
  );
}
