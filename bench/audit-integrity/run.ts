// Audit integrity work on a real SQLite file: `--rows N` chained rows (default 200,000) spread
// over 60 days, then
// - a scheduled checkpoint after `--every R` new rows (default 10,000): total time and the
//   longest single stretch on the event loop (the verification yields between pages);
// - retention of the rows older than 30 days: archive writing and read-back verification, the
//   purge slices (how long each holds the write lock, which a gateway's next call waits for),
//   archive bytes per row;
// - a full verification from the archive boundary with every checkpoint.
// Each figure is printed; nothing is asserted.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";

import { MIGRATIONS_DIR, openMigratedDb } from "@/db/client";
import { type AuditFields, appendEvents } from "@/lib/services/audit";
import { writeCheckpoint } from "@/lib/services/audit/auto-checkpoint";
import { catchUpIndex } from "@/lib/services/audit/indexer";
import { verifyIntegrity } from "@/lib/services/audit/integrity";
import { systemContext } from "@/lib/services/audit/maintenance";
import { runRetention } from "@/lib/services/audit/retention";
import { loadSigningKey, localTrustedKeys } from "@/lib/services/audit/signing-key";
import { withTransaction } from "@/lib/services/context";
import { countFlag } from "../gateway/common";

const ROWS = countFlag("rows", 200_000);
const EVERY = countFlag("every", 10_000);
const DAY = 86_400_000;
const root = path.resolve(import.meta.dirname, "..", "..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-bench-integrity-"));
const file = path.join(dir, "portcullis.db");
const db = openMigratedDb(file, path.join(root, MIGRATIONS_DIR));
const source = { dbFile: file };
const key = loadSigningKey(source, true);
if (!key) throw new Error("no signing key");
const trusted = localTrustedKeys(source);

const start = Date.now() - 60 * DAY;
const row = (i: number, total: number): AuditFields => ({
  id: `evt_bench${i}`,
  occurredAt: Math.floor(start + (i / total) * 60 * DAY),
  source: "gateway",
  actorType: "agent",
  actorId: `agt_${i % 7}`,
  actorLabel: `agent-${i % 7}`,
  action: i % 2 ? "tool_call.outcome" : "tool_call.decide",
  server: "github",
  tool: ["create_issue", "list_issues", "get_file"][i % 3],
  decision: i % 2 ? null : i % 5 ? "allow" : "deny",
  arguments: JSON.stringify({ repo: "acme/web", title: `issue ${i}` }),
  argumentsMode: "redacted",
  latencyMs: i % 2 ? 20 + (i % 50) : null,
});

function fill(from: number, count: number, total: number) {
  for (let i = from; i < from + count; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, from + count - i) }, (_, k) =>
      row(i + k, total),
    );
    withTransaction({ db }, (tx) => appendEvents(tx, batch));
  }
}

const ms = (v: number) => `${v.toFixed(1)} ms`;

async function timed<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; ms: number; maxBlockMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  const value = await fn();
  const elapsed = performance.now() - t0;
  h.disable();
  return { value, ms: elapsed, maxBlockMs: h.max / 1e6 };
}

const t0 = performance.now();
fill(0, ROWS - EVERY, ROWS);
const sealed = await writeCheckpoint(db, key, trusted, "auto", () => new Date());
if (!("written" in sealed)) throw new Error("first checkpoint not written");
fill(ROWS - EVERY, EVERY, ROWS);
process.stdout.write(`rows: ${ROWS.toLocaleString("en-US")} in ${ms(performance.now() - t0)}\n`);

const cp = await timed(() => writeCheckpoint(db, key, trusted, "auto", () => new Date()));
process.stdout.write(
  `checkpoint after ${EVERY.toLocaleString("en-US")} rows: ${ms(cp.ms)} in all, longest event-loop stretch ${ms(cp.maxBlockMs)}\n`,
);

// The console's search index and rollups are current, as they would be when retention runs.
catchUpIndex(db);

// Purge timing: wrap the transaction the retention run opens.
const purges: number[] = [];
const sql = db.$client;
const original = sql.prepare.bind(sql);
sql.prepare = ((text: string) => {
  const stmt = original(text);
  if (!text.startsWith("DELETE FROM audit_events")) return stmt;
  const run = stmt.run.bind(stmt);
  stmt.run = ((...args: unknown[]) => {
    const s = performance.now();
    const r = run(...(args as []));
    purges.push(performance.now() - s);
    return r;
  }) as typeof stmt.run;
  return stmt;
}) as typeof sql.prepare;

const archiveDir = path.join(dir, "audit-archive");
const retention = await timed(() =>
  runRetention(systemContext(db, "bench"), { days: 30, archiveDir, key, trusted }),
);
const archived = retention.value.archives.reduce((s, a) => s + a.rows, 0);
const bytes = retention.value.archives.reduce((s, a) => s + a.bytes, 0);
process.stdout.write(
  `retention: ${archived.toLocaleString("en-US")} rows into ${retention.value.archives.length} archive(s) in ${ms(retention.ms)} ` +
    `(${Math.round((archived / retention.ms) * 1000).toLocaleString("en-US")} rows/s, write + read-back verify + purge), ` +
    `${(bytes / archived).toFixed(1)} archive bytes per row, longest event-loop stretch ${ms(retention.maxBlockMs)}\n`,
);
const sorted = purges.filter((p) => p > 0).sort((a, b) => a - b);
process.stdout.write(
  `purge: ${sorted.length} slices; the write lock is held per slice p50 ${ms(sorted[Math.floor(sorted.length / 2)] ?? 0)}, max ${ms(sorted.at(-1) ?? 0)}\n`,
);

const v0 = performance.now();
const report = verifyIntegrity(db, { keys: trusted });
process.stdout.write(
  `verify from the boundary: ${report.ok ? "ok" : report.why}, ${report.rows.toLocaleString("en-US")} rows, ${report.checkpoints} checkpoints, ${ms(performance.now() - v0)}\n`,
);
db.$client.close();
fs.rmSync(dir, { recursive: true, force: true });
