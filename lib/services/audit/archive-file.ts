import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import { once } from "node:events";
import path from "node:path";
import readline from "node:readline";
import zlib from "node:zlib";

import type { Db } from "@/db/client";
import { sqliteHandle } from "@/db/client";
import { GENESIS_HASH, normalizeRow, rowHash } from "./chain";
import { checkpointProblem, type SignedCheckpoint } from "./checkpoints";
import type { TrustedKeys } from "./signing-key";
import { type ChainStart, fromSql } from "./verify";

/**
 * An archive is gzip JSON Lines: a header line `{"archive":…}` naming the range and the signed
 * checkpoint it starts from (none from genesis), one line per row exactly as stored, and a
 * trailer `{"checkpoint":…}` signed at the last row. Anyone with the public key can check it.
 */
export type ArchiveHeader = {
  v: 1;
  fromSeq: number;
  toSeq: number;
  rows: number;
  start: ChainStart;
  startCheckpoint: SignedCheckpoint | null;
  createdAt: string;
};

export const archiveFileName = (fromSeq: number, toSeq: number) =>
  `audit-archive-${fromSeq}-${toSeq}.jsonl.gz`;

const PAGE_ROWS = 2_000;

/**
 * Writes rows header.fromSeq..header.toSeq to a temporary file beside `file`, synced, and returns
 * its name with the file's SHA-256 and size; `publishArchive` gives it the final name. Reads in
 * pages so the connection is free between them.
 */
export async function writeArchive(
  db: Db,
  file: string,
  header: ArchiveHeader,
  end: SignedCheckpoint,
): Promise<{ temp: string; sha256: string; bytes: number }> {
  const temp = `${file}.${process.pid}-${randomUUID()}.partial`;
  const gzip = zlib.createGzip();
  const out = fs.createWriteStream(temp, { mode: 0o600 });
  const hash = createHash("sha256");
  let bytes = 0;
  gzip.on("data", (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  gzip.pipe(out);
  const write = async (value: unknown) => {
    if (!gzip.write(`${JSON.stringify(value)}\n`)) await once(gzip, "drain");
  };
  const page = sqliteHandle(db).prepare(
    "SELECT * FROM audit_events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
  );
  try {
    await write({ archive: header });
    for (let after = header.fromSeq - 1; after < header.toSeq;) {
      const rows = page.all(after, header.toSeq, PAGE_ROWS) as { seq: number }[];
      const last = rows.at(-1);
      if (!last) throw new Error(`rows after ${after} vanished while archiving`);
      for (const row of rows) await write(row);
      after = last.seq;
    }
    await write({ checkpoint: end });
    gzip.end();
    await once(out, "finish");
    const fd = fs.openSync(temp, "r");
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  } catch (err) {
    gzip.destroy();
    out.destroy();
    fs.rmSync(temp, { force: true });
    throw err;
  }
  return { temp, sha256: hash.digest("hex"), bytes };
}

/**
 * Gives a written archive its final name, replacing a file of that name (one no archive row
 * records: left by a run that stopped before its commit). Synchronous, so it can run inside the
 * transaction that records the archive: runs racing for the same range are then ordered by the
 * write lock, and only the one that commits ever names a file.
 */
export function publishArchive(temp: string, file: string): void {
  fs.renameSync(temp, file);
  // The rows are removed once the archive is recorded: the new name must survive a crash too.
  const dir = fs.openSync(path.dirname(file), "r");
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

export type ArchiveReport =
  | { ok: true; header: ArchiveHeader; end: SignedCheckpoint; rows: number }
  | { ok: false; why: string; seq: number | null; header: ArchiveHeader | null };

/**
 * Checks an archive on its own: the start checkpoint's signature and hash, every row's link
 * and content, and the end checkpoint's signature against the last row. With `keys` null the
 * signatures are not checked (the chain still is).
 */
export async function verifyArchive(
  file: string,
  keys: TrustedKeys | null,
): Promise<ArchiveReport> {
  let header: ArchiveHeader | null = null;
  let end: SignedCheckpoint | null = null;
  let prev: ChainStart = { seq: -1, hash: "" };
  let rows = 0;
  const fail = (why: string, seq: number | null = null): ArchiveReport => ({
    ok: false,
    why,
    seq,
    header,
  });
  const input = fs.createReadStream(file).pipe(zlib.createGunzip());
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (!line.trim()) continue;
      const item = JSON.parse(line) as Record<string, unknown>;
      if (!header) {
        if (!item.archive) return fail("the first line is not an archive header");
        header = item.archive as ArchiveHeader;
        const problem = startProblem(header, keys);
        if (problem) return fail(problem, header.fromSeq);
        prev = header.start;
        continue;
      }
      if (end) return fail("lines follow the closing checkpoint");
      if (item.checkpoint) {
        end = item.checkpoint as SignedCheckpoint;
        continue;
      }
      const row = fromSql(item);
      const p = prev;
      if (row.seq !== p.seq + 1)
        return fail(`expected row ${p.seq + 1}, found ${row.seq}`, p.seq + 1);
      if (row.prevHash !== p.hash)
        return fail(`row ${row.seq} does not link to row ${p.seq}`, row.seq);
      if (rowHash(p.hash, row.seq, normalizeRow(row)) !== row.hash) {
        return fail(`row ${row.seq} was edited: its content does not match its hash`, row.seq);
      }
      prev = { seq: row.seq, hash: row.hash };
      rows += 1;
    }
  } catch (err) {
    return fail(`unreadable archive: ${(err as Error).message}`);
  }
  if (!header) return fail("the archive is empty");
  if (!end) return fail("the archive has no closing checkpoint: it is incomplete", prev.seq);
  if (prev.seq !== header.toSeq || rows !== header.rows) {
    return fail(`the archive ends at row ${prev.seq}, not at ${header.toSeq} as its header says`);
  }
  if (end.seq !== prev.seq || end.hash !== prev.hash) {
    return fail(`the closing checkpoint does not match row ${prev.seq}`, prev.seq);
  }
  const problem = keys ? checkpointProblem(end, keys) : null;
  if (problem) return fail(problem, end.seq);
  return { ok: true, header, end, rows };
}

function startProblem(header: ArchiveHeader, keys: TrustedKeys | null): string | null {
  const { start, startCheckpoint: cp } = header;
  if (start.seq !== header.fromSeq - 1) return "the header's start is not the row before its first";
  if (start.seq === 0) return start.hash === GENESIS_HASH ? null : "row 1 must start from genesis";
  if (!cp || cp.seq !== start.seq || cp.hash !== start.hash) {
    return `no signed checkpoint at row ${start.seq}, where the archive starts`;
  }
  return keys ? checkpointProblem(cp, keys) : null;
}
