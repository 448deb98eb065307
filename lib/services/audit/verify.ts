import { createHmac, timingSafeEqual } from "node:crypto";

import { type Db, sqliteHandle, type Tx } from "@/db/client";
import { type AuditEvent } from "@/db/schema";
import { describeBreak } from "./break";
import { takeVerifiedPrefix, walkChain } from "./chain-walk";
import { GENESIS_HASH, normalizeRow, rowHash } from "./chain";

export type ChainReport =
  | { ok: true; rows: number; headSeq: number; headHash: string }
  | { ok: false; rows: number; brokenSeq: number; why: string };

export type Checkpoint = { seq: number; hash: string; at: string; signature: string };

/** The row just before the first one to check: genesis, or an archive boundary. */
export type ChainStart = { seq: number; hash: string };

export type VerifyOptions = {
  /** Default: the last archive boundary recorded in the database, or genesis. */
  start?: ChainStart;
  /** Last seq to check; default the head. A range stops early without claiming truncation. */
  to?: number;
  /** seq → hash the chain must pass through (signed checkpoints the caller already trusts). */
  checkpoints?: ReadonlyMap<number, string>;
  /** Called as the walk advances: rows checked so far of those to check. */
  onProgress?: (done: number, total: number) => void;
};

/**
 * Recomputes the chain in sequence order, streaming rows so memory stays flat. Reports the
 * first row whose link, sequence number or content hash is wrong, naming what that looks like
 * (edited, deleted, inserted or reordered); with checkpoints, also a rewritten history (the
 * chain recomputed after an edit) and a tail truncated below a checkpoint.
 */
export function verifyChain(db: Db, opts: VerifyOptions | Checkpoint = {}): ChainReport {
  const o: VerifyOptions =
    "signature" in opts ? { checkpoints: new Map([[opts.seq, opts.hash]]) } : opts;
  const start = o.start ?? archiveBoundary(db) ?? { seq: 0, hash: GENESIS_HASH };
  const stmt = db.$client.prepare(
    "SELECT * FROM audit_events WHERE seq > ? AND seq <= ? ORDER BY seq ASC",
  );
  // The fast walk accepts the longest good prefix; the loop below re-reads from there only to
  // name what is wrong with the first row it rejected (or to finish at once).
  const prefix = takeVerifiedPrefix(db, start, o.checkpoints);
  const from = prefix && prefix.seq <= (o.to ?? prefix.seq) ? prefix : { ...start, rows: 0 };
  const walked = walkChain(db, from, o);
  let prevHash = walked.hash;
  let expectedSeq = walked.seq + 1;
  let rows = walked.rows;
  for (const raw of stmt.iterate(walked.seq, o.to ?? Number.MAX_SAFE_INTEGER) as Iterable<
    Record<string, unknown>
  >) {
    const row = fromSql(raw);
    if (
      row.seq !== expectedSeq ||
      row.prevHash !== prevHash ||
      rowHash(prevHash, row.seq, normalizeRow(row)) !== row.hash
    ) {
      const why = describeBreak(db, { expectedSeq, row, prevHash, read: fromSql });
      return broken(rows, expectedSeq, why);
    }
    const signed = o.checkpoints?.get(row.seq);
    if (signed !== undefined && signed !== row.hash) {
      return broken(
        rows,
        row.seq,
        `history differs from the signed checkpoint at ${row.seq} (rows up to it were rewritten and the chain recomputed)`,
      );
    }
    prevHash = row.hash;
    expectedSeq += 1;
    rows += 1;
  }
  const head = expectedSeq - 1;
  if (o.to === undefined && o.checkpoints) {
    const beyond = Math.max(head, ...o.checkpoints.keys());
    if (beyond > head) {
      return broken(
        rows,
        head + 1,
        `log ends at ${head}, before checkpoint ${beyond}: rows were truncated`,
      );
    }
  }
  return { ok: true, rows, headSeq: head, headHash: prevHash };
}

/** Where the rows still in the database begin after retention archived older ones. */
export function archiveBoundary(db: Db | Tx): ChainStart | null {
  const row = sqliteHandle(db)
    .prepare(
      "SELECT to_seq AS seq, end_hash AS hash FROM audit_archives ORDER BY to_seq DESC LIMIT 1",
    )
    .get() as ChainStart | undefined;
  return row ?? null;
}

function broken(rows: number, brokenSeq: number, why: string): ChainReport {
  return { ok: false, rows, brokenSeq, why };
}

const SQL_TO_TS: Record<string, string> = {};

export function fromSql(raw: Record<string, unknown>): AuditEvent {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const key = (SQL_TO_TS[k] ??= k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
    out[key] = v;
  }
  return out as AuditEvent;
}

export function signCheckpoint(seq: number, hash: string, at: Date, key: string): Checkpoint {
  const iso = at.toISOString();
  return { seq, hash, at: iso, signature: checkpointMac(seq, hash, iso, key) };
}

export function checkpointIsAuthentic(cp: Checkpoint, key: string): boolean {
  const expected = Buffer.from(checkpointMac(cp.seq, cp.hash, cp.at, key), "hex");
  const given = Buffer.from(String(cp.signature), "hex");
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function checkpointMac(seq: number, hash: string, at: string, key: string): string {
  return createHmac("sha256", key)
    .update(`portcullis-checkpoint\n${seq}\n${hash}\n${at}`)
    .digest("hex");
}
