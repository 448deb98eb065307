import { createHmac, timingSafeEqual } from "node:crypto";

import type { Db } from "@/db/client";
import { type AuditEvent } from "@/db/schema";
import { describeBreak } from "./break";
import { GENESIS_HASH, normalizeRow, rowHash } from "./chain";

export type ChainReport =
  | { ok: true; rows: number; headSeq: number; headHash: string }
  | { ok: false; rows: number; brokenSeq: number; why: string };

export type Checkpoint = { seq: number; hash: string; at: string; signature: string };

/**
 * Recomputes the whole chain in sequence order, streaming rows so memory stays flat.
 * Reports the first row whose link, sequence number or content hash is wrong, naming what that
 * looks like (edited, deleted, inserted, reordered); with a
 * checkpoint, also reports a tail truncated below the checkpoint or a rewritten history.
 */
export function verifyChain(db: Db, checkpoint?: Checkpoint): ChainReport {
  const stmt = db.$client.prepare("SELECT * FROM audit_events ORDER BY seq ASC");
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let rows = 0;
  let checkpointSeen = false;
  for (const raw of stmt.iterate() as Iterable<Record<string, unknown>>) {
    const row = fromSql(raw);
    if (
      row.seq !== expectedSeq ||
      row.prevHash !== prevHash ||
      rowHash(prevHash, row.seq, normalizeRow(row)) !== row.hash
    ) {
      const why = describeBreak(db, { expectedSeq, row, prevHash, read: fromSql });
      return broken(rows, expectedSeq, why);
    }
    if (checkpoint && row.seq === checkpoint.seq) {
      if (row.hash !== checkpoint.hash) {
        return broken(
          rows,
          row.seq,
          `history differs from the signed checkpoint at ${row.seq} (rows up to it were rewritten and the chain recomputed)`,
        );
      }
      checkpointSeen = true;
    }
    prevHash = row.hash;
    expectedSeq += 1;
    rows += 1;
  }
  if (checkpoint && !checkpointSeen) {
    return broken(rows, rows + 1, `log ends at ${rows}, before checkpoint ${checkpoint.seq}: rows were truncated`);
  }
  return { ok: true, rows, headSeq: rows, headHash: prevHash };
}

function broken(rows: number, brokenSeq: number, why: string): ChainReport {
  return { ok: false, rows, brokenSeq, why };
}

const SQL_TO_TS: Record<string, string> = {};

function fromSql(raw: Record<string, unknown>): AuditEvent {
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
  return createHmac("sha256", key).update(`portcullis-checkpoint\n${seq}\n${hash}\n${at}`).digest("hex");
}
