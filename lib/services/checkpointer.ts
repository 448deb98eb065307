import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

import type { Db } from "@/db/client";

/** WAL pages a writer may leave before it checkpoints on its own (the worker normally keeps it far below). */
const SAFETY_NET_PAGES = 20_000;

// The worker opens its own handle on the same file; PASSIVE never blocks a writer or a reader.
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma("busy_timeout = 5000");
const run = () => { try { db.pragma("wal_checkpoint(PASSIVE)"); } catch {} };
const timer = setInterval(run, workerData.everyMs);
parentPort.on("message", () => { clearInterval(timer); run(); db.close(); parentPort.close(); });
`;

/**
 * Moves WAL checkpoints off the event loop: a worker thread checkpoints the database file every
 * `everyMs`, so a decision's commit never pays for copying the log into the database (an
 * automatic checkpoint every 1,000 pages cost the committing call several milliseconds). The
 * process's own handle checkpoints only as a safety net if the worker falls far behind.
 */
export function startCheckpointer(db: Db, everyMs = 1_000): { stop: () => Promise<void> } {
  const file = db.$client.name;
  if (db.$client.memory || db.$client.readonly) return { stop: () => Promise.resolve() };
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER, { eval: true, workerData: { driver, file, everyMs } });
  worker.unref();
  let exited = false;
  worker.once("exit", () => {
    exited = true;
  });
  worker.on("error", () => {
    // Without the worker the handle checkpoints by itself again.
    db.$client.pragma("wal_autocheckpoint = 1000");
  });
  db.$client.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
  let stopped: Promise<void> | null = null;
  return {
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        if (exited) return resolve();
        // Held until the last checkpoint is done, so the process does not end under it.
        worker.ref();
        const timer = setTimeout(() => void worker.terminate(), 2_000);
        worker.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        worker.postMessage("stop");
      })),
  };
}
