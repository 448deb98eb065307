import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

import { type Db, sqliteHandle, type Tx } from "@/db/client";
import { HASH_INPUT, type WalkResult, type WalkState, walkRange } from "./chain-walk";

/** Below this many rows a second thread costs more than it saves. */
export const PARALLEL_MIN_ROWS = 200_000;
const THREADS = 2;
const PROGRESS_EVERY = 25_000;

// Each worker opens its own read-only handle on the file and checks one seq range the way
// walkRange does (without the slow re-check: a row it cannot accept ends its part, and the
// caller walks from there itself).
const WORKER = `
const { parentPort, workerData: w } = require("node:worker_threads");
const { hash } = require("node:crypto");
const Database = require(w.driver);
const db = new Database(w.file, { readonly: true });
db.pragma("busy_timeout = 5000");
const signed = new Map(w.checkpoints);
let first = null, last = w.from, prev = null, rows = 0, stoppedAt = null;
const stmt = db.prepare(w.sql).raw(true);
for (const [seq, prevHash, stored, input] of stmt.iterate(w.from, w.to)) {
  if (first === null) first = { seq, prevHash };
  else if (seq !== last + 1 || prevHash !== prev) { stoppedAt = seq; break; }
  const cp = signed.get(seq);
  if (hash("sha256", input, "hex") !== stored || (cp !== undefined && cp !== stored)) { stoppedAt = seq; break; }
  last = seq; prev = stored; rows += 1;
  if (rows % w.every === 0) parentPort.postMessage({ progress: w.every });
}
db.close();
parentPort.postMessage({ done: { first, lastSeq: last, lastHash: prev, rows, stoppedAt, progressSent: rows - (rows % w.every) } });
`;

type Part = {
  first: { seq: number; prevHash: string } | null;
  lastSeq: number;
  lastHash: string | null;
  rows: number;
  stoppedAt: number | null;
};

function runPart(
  file: string,
  from: number,
  to: number,
  checkpoints: ReadonlyMap<number, string> | undefined,
  onRows: (n: number) => void,
): Promise<Part> {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const sql = `SELECT seq, prev_hash, hash, ${HASH_INPUT} FROM audit_events WHERE seq > ? AND seq <= ? ORDER BY seq`;
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      driver,
      file,
      sql,
      from,
      to,
      every: PROGRESS_EVERY,
      checkpoints: [...(checkpoints ?? [])],
    },
  });
  return new Promise((resolve, reject) => {
    worker.on("message", (m: { progress?: number; done?: Part & { progressSent: number } }) => {
      if (m.progress) onRows(m.progress);
      if (m.done) {
        onRows(m.done.rows - m.done.progressSent);
        resolve(m.done);
      }
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`chain walk worker exited with ${code}`));
    });
  });
}

/**
 * The chain walk of (state.seq, to] split between two threads, each on its own read-only handle:
 * on a file database, for long ranges. The parts are joined only where the second one starts at
 * the row after the first one's last, linked to its hash; anywhere else (a part that stopped, a
 * gap at the seam) the caller's single-threaded walk takes over from the last row accepted, so
 * the result is the same as walking alone. Returns null when it does not apply.
 */
export async function walkInParallel(
  db: Db | Tx,
  state: WalkState,
  to: number,
  checkpoints: ReadonlyMap<number, string> | undefined,
  onRows: (n: number) => void,
  minRows = PARALLEL_MIN_ROWS,
): Promise<WalkResult | null> {
  const client = sqliteHandle(db);
  if (client.memory || to - state.seq < minRows) return null;
  const size = Math.ceil((to - state.seq) / THREADS);
  const bounds = Array.from({ length: THREADS }, (_, i) => [
    state.seq + i * size,
    Math.min(to, state.seq + (i + 1) * size),
  ]);
  let parts: Part[];
  try {
    parts = await Promise.all(
      bounds.map(([from, upTo]) =>
        runPart(client.name, from as number, upTo as number, checkpoints, onRows),
      ),
    );
  } catch {
    // No thread (the driver cannot be loaded there, a worker failed): walk alone.
    return null;
  }
  let at: WalkResult = { ...state, stoppedAt: null };
  for (const part of parts) {
    const joins =
      part.first !== null &&
      part.first.seq === at.seq + 1 &&
      part.first.prevHash === at.hash &&
      part.stoppedAt === null &&
      part.lastHash !== null;
    // Where a part cannot be joined, walk on alone from the last row accepted: it finds the
    // same first bad row a single walk would, with the canonical re-check.
    if (!joins) return walkRange(db, at, to, Number.MAX_SAFE_INTEGER, checkpoints);
    at = {
      seq: part.lastSeq,
      hash: part.lastHash as string,
      rows: at.rows + part.rows,
      stoppedAt: null,
    };
  }
  return at;
}
