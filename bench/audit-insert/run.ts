// What the audit_events indexes cost a decision: `decideToolCall` (policy, counters, audit row,
// commit) on two databases side by side in one process, one as migrated and one with the five
// secondary indexes migration 0005 dropped put back (time, action, decision, server, actor).
// Rounds alternate between them so the machine's other load falls on both alike.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { type Db, MIGRATIONS_DIR, openMigratedDb } from "@/db/client";
import { newId } from "@/lib/core/ids";
import { loadPolicy } from "@/lib/core/policy";
import { type DecideCallInput, decideToolCall } from "@/lib/services/enforcement";
import { appendRows, decisionRow } from "@/lib/testing/audit-rows";

const root = path.resolve(import.meta.dirname, "..", "..");
const SEED_ROWS = 100_000;
const ROUNDS = 6;
const CALLS = 2_000;
const DROPPED = [
  "CREATE INDEX audit_events_time_idx ON audit_events (occurred_at)",
  "CREATE INDEX audit_events_action_idx ON audit_events (action, seq)",
  "CREATE INDEX audit_events_decision_idx ON audit_events (decision, seq)",
  "CREATE INDEX audit_events_server_idx ON audit_events (server, seq)",
  "CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, seq)",
];

const loaded = loadPolicy(`version: "1"\ndefault: deny\ntools:\n  echo: {}\n`);
if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
const snapshot = loaded.snapshot;
const input = (i: number): DecideCallInput => ({
  snapshot,
  policyVersion: "pv_bench",
  server: "everything",
  upstreamId: null,
  tool: i % 5 === 0 ? "delete_file" : "echo",
  arguments: { message: `call ${i}` },
  identity: { agentId: "agt_bench", keyId: null, label: "bench" },
  grants: [],
  source: "gateway",
  requestId: newId("request"),
  now: Date.now(),
});

function prepare(dir: string, name: string, indexes: readonly string[]): Db {
  const db = openMigratedDb(path.join(dir, `${name}.db`), path.join(root, MIGRATIONS_DIR));
  for (const sql of indexes) db.$client.exec(sql);
  const agents = ["release-bot", "data-analyst", "ops"];
  for (let i = 0; i < SEED_ROWS; i += 1000)
    appendRows(
      db,
      Array.from({ length: 1000 }, (_, j) =>
        decisionRow({
          occurredAt: Date.now() - (SEED_ROWS - i - j) * 500,
          actorLabel: agents[j % 3],
          actorId: `agt_${j % 3}`,
          server: j % 2 ? "github" : "everything",
          decision: j % 4 ? "allow" : "deny",
        }),
      ),
    );
  db.$client.pragma("wal_checkpoint(TRUNCATE)");
  return db;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] ?? NaN;
};

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-bench-audit-insert-"));
  try {
    const variants = [
      {
        name: "now (id and correlation indexes)",
        db: prepare(dir, "now", []),
        times: [] as number[],
      },
      {
        name: "before 0005 (7 secondary indexes)",
        db: prepare(dir, "before", DROPPED),
        times: [] as number[],
      },
    ];
    let n = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of round % 2 ? [...variants].reverse() : variants) {
        for (let i = 0; i < CALLS; i++) {
          const t0 = process.hrtime.bigint();
          decideToolCall(v.db, input(n++));
          const us = Number(process.hrtime.bigint() - t0) / 1000;
          if (round > 0) v.times.push(us); // the first round warms both up
        }
      }
    }
    const rows = variants.map(
      (v) =>
        `| ${v.name} | ${v.times.length.toLocaleString("en-US")} | ${pct(v.times, 0.5).toFixed(0)} µs | ${pct(v.times, 0.9).toFixed(0)} µs | ${pct(v.times, 0.99).toFixed(0)} µs |`,
    );
    const machine = `${os.cpus().length} vCPU (${os.cpus()[0]?.model.trim() ?? "unknown"}), Node ${process.versions.node}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" / ")}`;
    process.stdout.write(
      [
        `Decisions on a log of ${SEED_ROWS.toLocaleString("en-US")} rows, ${ROUNDS - 1} measured rounds of ${CALLS.toLocaleString("en-US")} per database, alternating. ${machine}.`,
        "",
        "| audit_events indexes | Decisions | Median | p90 | p99 |",
        "| --- | ---: | ---: | ---: | ---: |",
        ...rows,
        "",
      ].join("\n"),
    );
    for (const v of variants) v.db.$client.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
