import { spawn } from "node:child_process";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { verifyChain } from "@/lib/services/audit";
import { readCounter, sumCounter } from "@/lib/services/counters";
import { REPO_ROOT } from "@/lib/testing";
import { tempDatabase } from "@/lib/testing/proxy";
import { rollingWindow } from "@/lib/core/policy";

const WORKER = path.join(import.meta.dirname, "race-worker.ts");
const LIMIT = 15;
const POLICY = `version: "1"\ntools:\n  send:\n    rules:\n      - rate_limit: { max: ${LIMIT}, window: 3600 }\n`;
const KEY = '["agent","agt_race","srv","state.send._rate_3600s"]';

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
});

function start(file: string, name: string, rounds: number) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", WORKER, file, name, String(rounds), POLICY],
    { cwd: REPO_ROOT, stdio: ["pipe", "pipe", "pipe"] },
  );
  let err = "";
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => c.toString().includes("ready") && resolve());
    child.once("exit", (code) => reject(new Error(`${name} exited ${code}: ${err}`)));
  });
  const done = new Promise<void>((resolve, reject) =>
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${name}: ${err}`)))),
  );
  return { child, ready, done };
}

describe("two processes deciding on one database file", () => {
  it("never admit more than the limit, with rollbacks racing the decisions", async () => {
    const t = tempDatabase();
    cleanup = t.cleanup;
    const workers = ["a", "b"].map((name) => start(t.file, name, 24));
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.stdin.end("go\n");
    await Promise.all(workers.map((w) => w.done));

    // Replay the audit log in commit order: admitted calls minus rolled-back ones.
    const events = t.db.$client
      .prepare(
        "SELECT action, decision, outcome FROM audit_events WHERE action LIKE 'tool_call.%' ORDER BY seq",
      )
      .all() as { action: string; decision: string | null; outcome: string | null }[];
    let inUse = 0;
    let peak = 0;
    let rolledBack = 0;
    for (const e of events) {
      if (e.action === "tool_call.decide" && e.decision === "allow") inUse += 1;
      if (e.action === "tool_call.outcome" && e.outcome === "jsonrpc_error") {
        inUse -= 1;
        rolledBack += 1;
      }
      peak = Math.max(peak, inUse);
    }
    expect(events.filter((e) => e.action === "tool_call.decide")).toHaveLength(2 * 24 * 3);
    expect(rolledBack).toBeGreaterThan(0);
    expect(peak).toBe(LIMIT);
    expect(inUse).toBe(LIMIT);
    const window = rollingWindow(3_600_000, Date.now());
    expect(sumCounter(t.db, KEY, window)).toBe(String(LIMIT));
    expect(readCounter(t.db, KEY, window)).toBe(String(LIMIT));
    expect(verifyChain(t.db).ok).toBe(true);
    // The two processes really did take turns (their decisions interleave in the log).
    const order = (
      t.db.$client
        .prepare(
          "SELECT request_id FROM audit_events WHERE action = 'tool_call.decide' ORDER BY seq",
        )
        .all() as { request_id: string }[]
    ).map((r) => r.request_id[0]);
    const switches = order.filter((w, i) => i > 0 && w !== order[i - 1]).length;
    expect(switches).toBeGreaterThan(2);
  });
});
