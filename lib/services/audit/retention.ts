import fs from "node:fs";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import path from "node:path";

import type { Db, Tx } from "@/db/client";
import { sqliteHandle } from "@/db/client";
import { withTransaction, type ServiceContext } from "../context";
import { appendAudit } from "./append";
import {
  archiveFileName,
  type ArchiveHeader,
  publishArchive,
  verifyArchive,
  writeArchive,
} from "./archive-file";
import { chainHead, verifyRange } from "./auto-checkpoint";
import { GENESIS_HASH } from "./chain";
import {
  listCheckpoints,
  type SignedCheckpoint,
  signCheckpointWith,
  storeCheckpoint,
} from "./checkpoints";
import type { SigningKey, TrustedKeys } from "./signing-key";
import { archiveBoundary, type ChainStart } from "./verify";

const DAY_MS = 86_400_000;

export type RetentionOptions = {
  days: number;
  archiveDir: string;
  key: SigningKey;
  trusted: TrustedKeys;
  /** Rows per archive file; a run writes as many files as it needs. */
  maxRowsPerFile?: number;
  /** Rows verified, or removed, per step between yields (default 2,000). */
  stepRows?: number;
};

export type ArchiveWritten = {
  file: string;
  fromSeq: number;
  toSeq: number;
  rows: number;
  bytes: number;
  sha256: string;
};

export type RetentionResult = { archives: ArchiveWritten[]; cutoff: string };

/** The archive folder: the configured one, or `audit-archive` beside the database. */
export function archiveDirFor(dbFile: string, configured?: string): string {
  return configured
    ? path.resolve(/*turbopackIgnore: true*/ configured)
    : path.join(path.dirname(dbFile), "audit-archive");
}

/**
 * Moves rows older than `days` out of the database: each stretch is verified, written to a
 * gzip JSON Lines archive with a signed checkpoint at its last row, read back and verified,
 * and only then recorded (with its checkpoint and an audit row) and removed, in short slices.
 * Rows are cut at the first row inside the window, so no younger row ever leaves.
 */
export async function runRetention(
  ctx: ServiceContext & { db: Db },
  opts: RetentionOptions,
): Promise<RetentionResult> {
  if (opts.days < 1) throw new Error("retention needs at least one day");
  const cutoff = ctx.now().getTime() - opts.days * DAY_MS;
  const archives: ArchiveWritten[] = [];
  fs.mkdirSync(opts.archiveDir, { recursive: true, mode: 0o700 });
  await purgeArchived(ctx, opts.stepRows);
  for (;;) {
    const next = await archiveOne(ctx, opts, cutoff);
    if (!next) break;
    archives.push(next);
  }
  return { archives, cutoff: new Date(cutoff).toISOString() };
}

async function archiveOne(
  ctx: ServiceContext & { db: Db },
  opts: RetentionOptions,
  cutoff: number,
): Promise<ArchiveWritten | null> {
  const db = ctx.db;
  const head = chainHead(db);
  if (!head) return null;
  const start: ChainStart = archiveBoundary(db) ?? { seq: 0, hash: GENESIS_HASH };
  const toSeq = await lastOldRow(db, start.seq, cutoff, opts.maxRowsPerFile ?? 100_000, head.seq);
  if (toSeq <= start.seq) return null;
  const fromSeq = start.seq + 1;

  const checked = await verifyRange(db, start, toSeq, opts.stepRows);
  if ("why" in checked) {
    throw new Error(`refusing to archive: chain broken at row ${checked.seq}: ${checked.why}`);
  }
  const startCheckpoint =
    start.seq === 0
      ? null
      : (listCheckpoints(db, start.seq - 1).find(
          (cp) => cp.seq === start.seq && cp.hash === start.hash,
        ) ?? null);
  const end = signCheckpointWith(opts.key, toSeq, checked.hash, ctx.now());
  const span = timeSpan(db, fromSeq, toSeq);
  const header: ArchiveHeader = {
    v: 1,
    fromSeq,
    toSeq,
    rows: toSeq - fromSeq + 1,
    start,
    startCheckpoint: startCheckpoint && {
      v: 2,
      alg: "Ed25519",
      keyId: startCheckpoint.keyId,
      seq: startCheckpoint.seq,
      hash: startCheckpoint.hash,
      at: startCheckpoint.at,
      signature: startCheckpoint.signature,
    },
    createdAt: ctx.now().toISOString(),
  };
  const name = archiveFileName(fromSeq, toSeq);
  const file = path.join(opts.archiveDir, name);
  // One that is recorded belongs to a run that got here first (publishArchive replaces one that
  // is not: a run stopped before its commit left it).
  const recorded = sqliteHandle(db)
    .prepare("SELECT 1 FROM audit_archives WHERE file = ?")
    .get(name);
  if (recorded) throw new Error(`${name} is already archived (another retention run?)`);
  const { temp, ...written } = await writeArchive(db, file, header, end);
  try {
    const readBack = await verifyArchive(temp, opts.trusted);
    if (!readBack.ok)
      throw new Error(`archive ${name} did not verify after writing: ${readBack.why}`);
    recordArchive(ctx, { start, end, span, cutoff, days: opts.days, temp, file, written });
  } finally {
    fs.rmSync(temp, { force: true });
  }
  await purgeArchived(ctx, opts.stepRows);
  return { file, fromSeq, toSeq, rows: header.rows, ...written };
}

type Recording = {
  start: ChainStart;
  end: SignedCheckpoint;
  span: { first: number; last: number };
  cutoff: number;
  days: number;
  temp: string;
  file: string;
  written: { sha256: string; bytes: number };
};

/**
 * Checks that nothing moved the boundary or the archived rows meanwhile, names the file and
 * records it, its checkpoint and an audit row, all under the write lock.
 */
function recordArchive(ctx: ServiceContext & { db: Db }, r: Recording): void {
  const { start, end, span, written } = r;
  const fromSeq = start.seq + 1;
  const toSeq = end.seq;
  const rows = toSeq - start.seq;
  const name = path.basename(r.file);
  withTransaction(ctx, (tx) => {
    const now = ctx.now().getTime();
    const boundary = archiveBoundary(tx);
    const still = sqliteHandle(tx)
      .prepare("SELECT hash FROM audit_events WHERE seq = ?")
      .get(toSeq) as { hash: string } | undefined;
    if ((boundary?.seq ?? 0) !== start.seq || still?.hash !== end.hash) {
      throw new Error("the log changed while archiving (another retention run?); nothing removed");
    }
    publishArchive(r.temp, r.file);
    storeCheckpoint(tx, end, "archive", now);
    const checkpointId = lastInsertId(tx);
    sqliteHandle(tx)
      .prepare(
        `INSERT INTO audit_archives (from_seq, to_seq, rows, first_at, last_at, file, file_sha256, bytes,
           start_hash, end_hash, checkpoint_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        fromSeq,
        toSeq,
        rows,
        span.first,
        span.last,
        name,
        written.sha256,
        written.bytes,
        start.hash,
        end.hash,
        checkpointId,
        now,
      );
    // Recorded with the archive; the rows are removed after this commits, in short slices.
    appendAudit(tx, ctx, {
      action: "audit.archive",
      target: { type: "audit_archive", id: name },
      after: {
        fromSeq,
        toSeq,
        rows,
        file: name,
        sha256: written.sha256,
        bytes: written.bytes,
        olderThan: new Date(r.cutoff).toISOString(),
        retentionDays: r.days,
        checkpoint: { seq: end.seq, keyId: end.keyId },
      },
    });
  });
}

function lastInsertId(tx: Tx): number {
  return (sqliteHandle(tx).prepare("SELECT last_insert_rowid() AS id").get() as { id: number }).id;
}

/** Rows read per query while looking for the cut-off, with a yield between reads. */
const WALK_ROWS = 10_000;

/**
 * The last row of the stretch to archive: just before the first row inside the retention window,
 * walking up from the boundary a slice at a time, at most `max` rows on.
 */
async function lastOldRow(
  db: Db,
  after: number,
  cutoff: number,
  max: number,
  head: number,
): Promise<number> {
  const limit = Math.min(head, after + max);
  const young = sqliteHandle(db).prepare(
    "SELECT seq FROM audit_events WHERE seq > ? AND seq <= ? AND occurred_at >= ? ORDER BY seq LIMIT 1",
  );
  for (let lo = after; lo < limit; lo += WALK_ROWS) {
    const hit = young.get(lo, Math.min(lo + WALK_ROWS, limit), cutoff) as
      { seq: number } | undefined;
    if (hit) return hit.seq - 1;
    await yieldToLoop();
  }
  return limit;
}

/** When a stretch's first and last rows were written. */
function timeSpan(db: Db, from: number, to: number): { first: number; last: number } {
  const row = sqliteHandle(db).prepare("SELECT occurred_at AS t FROM audit_events WHERE seq = ?");
  const at = (seq: number) => (row.get(seq) as { t: number } | undefined)?.t ?? 0;
  return { first: at(from), last: at(to) };
}

/** Rows removed per transaction: each holds the write lock for a few milliseconds only. */
const PURGE_ROWS = 2_000;

/**
 * Removes rows already archived, a slice per transaction, yielding between slices, so a
 * gateway's next decision never waits long for the write lock. Also finishes a run that stopped
 * part-way: rows at or below the archive boundary are in an archive file and skipped by
 * verification, so removing them later changes nothing but the size of the database.
 */
export async function purgeArchived(
  ctx: ServiceContext & { db: Db },
  sliceRows = PURGE_ROWS,
): Promise<number> {
  let removed = 0;
  for (;;) {
    const n = withTransaction(ctx, (tx) => purgeSlice(tx, sliceRows));
    if (n === 0) return removed;
    removed += n;
    await yieldToLoop();
  }
}

/** The one DELETE the append-only trigger lets through: an archived, checkpointed range. */
function purgeSlice(tx: Tx, sliceRows: number): number {
  const sql = sqliteHandle(tx);
  const next = sql
    .prepare(
      `SELECT e.seq AS first, a.to_seq AS toSeq FROM audit_archives a
       JOIN audit_events e ON e.seq = (SELECT min(seq) FROM audit_events)
       WHERE e.seq BETWEEN a.from_seq AND a.to_seq`,
    )
    .get() as { first: number; toSeq: number } | undefined;
  if (!next) return 0;
  const last = Math.min(next.toSeq, next.first + sliceRows - 1);
  sql.prepare("INSERT INTO audit_purge (to_seq) VALUES (?)").run(next.toSeq);
  const { changes } = sql
    .prepare("DELETE FROM audit_events WHERE seq BETWEEN ? AND ?")
    .run(next.first, last);
  sql.prepare("DELETE FROM audit_purge").run();
  return changes;
}
