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
