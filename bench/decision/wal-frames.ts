import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { MIGRATIONS_DIR, openMigratedDb } from "@/db/client";
import { loadPolicy } from "@/lib/core/policy";
import { type DecideCallInput, decideToolCall } from "@/lib/services/enforcement";

/**
 * The pages one decision's commit writes, by b-tree: `decisions` decisions under `policy` on a
 * fresh file after `warmup` others, with automatic checkpoints off, then the WAL's frame headers
 * read back (each frame names its page) and each page named with SQLite's `dbstat`. Every
 * frame is a write the call waits for before it is forwarded.
 */
export function walFramesPerDecision(
  policy: string,
  root: string,
  decisions = 200,
  warmup = 5_000,
): { total: number; byTree: [string, number][] } {
  const loaded = loadPolicy(policy);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-bench-frames-"));
  const file = path.join(dir, "frames.db");
  const db = openMigratedDb(file, path.join(root, MIGRATIONS_DIR));
  try {
    db.$client.pragma("wal_autocheckpoint = 0");
    const input = (i: number): DecideCallInput => ({
      snapshot: loaded.snapshot,
      policyVersion: "pv_bench",
      server: "echo",
      upstreamId: null,
      tool: "echo",
      arguments: { message: `call ${i}` },
      identity: { agentId: "agt_bench", keyId: null, label: "bench" },
      grants: [],
      source: "stdio",
      requestId: String(i),
      now: Date.now(),
    });
    for (let i = 0; i < warmup; i++) decideToolCall(db, input(i));
    db.$client.pragma("wal_checkpoint(TRUNCATE)");
    for (let i = 0; i < decisions; i++) decideToolCall(db, input(warmup + i));
    const pages = new Map<number, string>();
    for (const r of db.$client.prepare("SELECT name, pageno FROM dbstat").all() as {
      name: string;
      pageno: number;
    }[])
      pages.set(r.pageno, r.name);
    const wal = fs.readFileSync(`${file}-wal`);
    const pageSize = wal.readUInt32BE(8);
    const counts = new Map<string, number>();
    let frames = 0;
    // A 32-byte WAL header, then frames of a 24-byte header (page number first) and one page.
    for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
      const name = pages.get(wal.readUInt32BE(at)) ?? "(freed page)";
      counts.set(name, (counts.get(name) ?? 0) + 1);
      frames += 1;
    }
    return {
      total: frames / decisions,
      byTree: [...counts]
        .map(([name, n]) => [name, n / decisions] as [string, number])
        .sort((a, b) => b[1] - a[1]),
    };
  } finally {
    db.$client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What one more page costs a commit: transactions that each insert a short row into `k` tables
 * of their own (so each writes `k` pages), timed at their median for several `k`, on a WAL file
 * opened as the product opens it (synchronous=NORMAL, no checkpoint in the timed loop). The
 * least-squares slope is the cost per page written (the frame's two writes, its checksum, the
 * b-tree insert), the intercept what any write transaction costs.
 */
export function commitCostPerPage(
  root: string,
  rounds = 3,
  perPoint = 4_000,
): { perPageUs: number; fixedUs: number; points: [number, number][] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-bench-commit-"));
  const db = openMigratedDb(path.join(dir, "commit.db"), path.join(root, MIGRATIONS_DIR));
  try {
    const client = db.$client;
    client.pragma("wal_autocheckpoint = 0");
    const SIZES = [1, 2, 4, 8, 12];
    const max = SIZES.at(-1) ?? 1;
    for (let i = 0; i < max; i++)
      client.exec(`CREATE TABLE bench_pages_${i} (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`);
    const inserts = Array.from({ length: max }, (_, i) =>
      client.prepare(`INSERT INTO bench_pages_${i} (v) VALUES (?)`),
    );
    const medians = new Map<number, number[]>(SIZES.map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      for (const k of SIZES) {
        const tx = client.transaction(() => {
          for (let i = 0; i < k; i++) inserts[i]?.run("x".repeat(48));
        });
        const times = new Float64Array(perPoint);
        for (let n = 0; n < perPoint; n++) {
          const t0 = process.hrtime.bigint();
          tx.immediate();
          times[n] = Number(process.hrtime.bigint() - t0) / 1000;
        }
        times.sort();
        medians.get(k)?.push(times[perPoint >> 1] ?? NaN);
        client.pragma("wal_checkpoint(TRUNCATE)");
      }
    }
    const points = SIZES.map((k) => {
      const m = [...(medians.get(k) ?? [])].sort((a, b) => a - b);
      return [k, m[m.length >> 1] ?? NaN] as [number, number];
    });
    const meanK = points.reduce((s, [k]) => s + k, 0) / points.length;
    const meanT = points.reduce((s, [, t]) => s + t, 0) / points.length;
    const slope =
      points.reduce((s, [k, t]) => s + (k - meanK) * (t - meanT), 0) /
      points.reduce((s, [k]) => s + (k - meanK) ** 2, 0);
    return { perPageUs: slope, fixedUs: meanT - slope * meanK, points };
  } finally {
    db.$client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
