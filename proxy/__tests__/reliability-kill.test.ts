import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import {
  childEnv,
  CLI_BUNDLE,
  ensureCliBundle,
  FIXTURES,
  must,
  runCli,
  spawnGateway,
  tempDatabase,
} from "@/lib/testing/proxy";
import { INITIALIZED_TEXT, initializeText, rawHttpSession } from "@/lib/testing/raw-mcp";
import { reportFigures, scale } from "@/lib/testing/reliability";

/*
 * kill -9 of `portcullis run` and of `portcullis serve` at generated moments under load, many
 * times over one database. After every kill: each row committed before it is still there with
 * the same hash; every call the upstream received has its allow decision; every call a client
 * saw answered has its decision. At the end `portcullis audit verify` finds the chain intact.
 * (stdio-kill.test.ts checks that the upstream dies with the proxy.)
 */

const ROUNDS = scale(2, 50); // per process kind
const SEED = Number(process.env.PORTCULLIS_KILL_SEED ?? Date.now() % 1_000_000);
const UPSTREAM = path.join(FIXTURES, "logging-upstream.mjs");
const POLICY = `version: "1"\ndefault: allow\naudit:\n  arguments: full\n`;
/** When to kill, in ms after the first answered call. */
const DELAYS = fc.sample(fc.integer({ min: 0, max: 400 }), { numRuns: ROUNDS * 2, seed: SEED });

let t: ReturnType<typeof tempDatabase>;
let marker = 0;
const answered = new Set<number>();

beforeAll(async () => {
  await ensureCliBundle();
  t = tempDatabase();
});
afterAll(() => t?.cleanup());

const head = () =>
  t.db.$client.prepare("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").get() as
    { seq: number; hash: string } | undefined;

const hashAt = (seq: number) =>
  (
    t.db.$client.prepare("SELECT hash FROM audit_events WHERE seq = ?").get(seq) as
      { hash: string } | undefined
  )?.hash;

const allowedMarkers = () =>
  new Set(
    (
      t.db.$client
        .prepare(
          "SELECT arguments FROM audit_events WHERE action = 'tool_call.decide' AND decision = 'allow'",
        )
        .all() as { arguments: string }[]
    ).map((r) => (JSON.parse(r.arguments) as { fuzz: number }).fuzz),
  );

const receivedMarkers = (file: string) =>
  fs.existsSync(file)
    ? fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map(
          (l) =>
            (JSON.parse(l) as { params: { arguments: { fuzz: number } } }).params.arguments.fuzz,
        )
    : [];

const echo = (id: number | string, n: number) =>
  JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "echo", arguments: { message: `call ${n}`, fuzz: n } },
  });

const INIT = initializeText("kill");
const INITIALIZED = INITIALIZED_TEXT;

/** Kills `child` with SIGKILL once `delayMs` have passed; returns the head committed just before. */
async function killAt(
  child: ChildProcess,
  delayMs: number,
): Promise<{ seq: number; hash: string }> {
  await new Promise((r) => setTimeout(r, delayMs));
  const before = must(head(), "committed head");
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
  return before;
}

/** After a kill: the head read before it is unchanged, and every answered or received call was decided. */
function checkAfterKill(before: { seq: number; hash: string }, recordFile: string): void {
  expect(hashAt(before.seq)).toBe(before.hash);
  const allowed = allowedMarkers();
  expect(receivedMarkers(recordFile).filter((m) => !allowed.has(m))).toEqual([]);
  expect([...answered].filter((m) => !allowed.has(m))).toEqual([]);
}

async function stdioRound(delayMs: number, recordFile: string, policyFile: string): Promise<void> {
  const child = spawn(
    process.execPath,
    [CLI_BUNDLE, "run", "--policy", policyFile, "--", process.execPath, UPSTREAM],
    {
      env: childEnv({ PORTCULLIS_DB: t.file, RECORD_FILE: recordFile }),
      stdio: ["pipe", "pipe", "ignore"],
    },
  );
  child.stdin?.on("error", () => {});
  let first: () => void = () => {};
  const firstAnswer = new Promise<void>((r) => (first = r));
  let initialized: () => void = () => {};
  const ready = new Promise<void>((r) => (initialized = r));
  readline.createInterface({ input: must(child.stdout) }).on("line", (line) => {
    const msg = JSON.parse(line) as { id?: unknown; result?: { isError?: boolean } };
    if (msg.id === "init") return initialized();
    if (typeof msg.id === "number" && msg.result && !msg.result.isError) {
      answered.add(msg.id);
      first();
    }
  });
  const write = (s: string) => {
    if (child.stdin?.writable) child.stdin.write(`${s}\n`);
  };
  write(INIT);
  await ready;
  write(INITIALIZED);
  const load = setInterval(() => {
    for (let i = 0; i < 20; i++) {
      const n = ++marker;
      write(echo(n, n));
    }
  }, 5);
  await firstAnswer;
  try {
    checkAfterKill(await killAt(child, delayMs), recordFile);
  } finally {
    clearInterval(load);
  }
}

async function serveRound(delayMs: number, recordFile: string, key: string): Promise<void> {
  const gw = await spawnGateway(t.file);
  const url = `${gw.url}/mcp/killed`;
  let stop = false;
  const post = rawHttpSession(url, key);
  await post(INIT);
  await post(INITIALIZED);
  let first: () => void = () => {};
  const firstAnswer = new Promise<void>((r) => (first = r));
  const lanes = Array.from({ length: 6 }, async () => {
    while (!stop) {
      const n = ++marker;
      try {
        const { messages } = await post(echo(`k${n}`, n));
        const msg = (messages.find((m) => m.id === `k${n}`) ?? {}) as {
          result?: { isError?: boolean };
        };
        if (msg.result && !msg.result.isError) {
          answered.add(n);
          first();
        }
      } catch {
        return; // the gateway is gone
      }
    }
  });
  await firstAnswer;
  try {
    checkAfterKill(await killAt(gw.child, delayMs), recordFile);
  } finally {
    stop = true;
    await Promise.all(lanes);
  }
}

describe("kill -9 under load", () => {
  it(
    `portcullis run, killed ${ROUNDS} times`,
    async () => {
      const recordFile = path.join(t.dir, "stdio-received.jsonl");
      const policyFile = path.join(t.dir, "kill.yaml");
      fs.writeFileSync(policyFile, POLICY);
      for (let r = 0; r < ROUNDS; r++) await stdioRound(must(DELAYS[r]), recordFile, policyFile);
      reportFigures("kill -9 portcullis run", {
        seed: SEED,
        kills: ROUNDS,
        callsReceivedByUpstream: receivedMarkers(recordFile).length,
        callsAnsweredBeforeKills: answered.size,
      });
    },
    scale(60_000, 1_800_000),
  );

  it(
    `portcullis serve, killed ${ROUNDS} times`,
    async () => {
      const recordFile = path.join(t.dir, "gateway-received.jsonl");
      const upstream = insertUpstream(t.db, {
        name: "killed",
        command: process.execPath,
        args: [UPSTREAM],
        env: { RECORD_FILE: recordFile },
      });
      insertPolicyVersion(t.db, upstream.id, POLICY);
      const { key } = insertAgentWithKey(t.db, { name: "kill-agent" });
      const answeredBefore = answered.size;
      for (let r = 0; r < ROUNDS; r++) await serveRound(must(DELAYS[ROUNDS + r]), recordFile, key);
      reportFigures("kill -9 portcullis serve", {
        seed: SEED,
        kills: ROUNDS,
        callsReceivedByUpstream: receivedMarkers(recordFile).length,
        callsAnsweredBeforeKills: answered.size - answeredBefore,
      });
    },
    scale(60_000, 1_800_000),
  );

  it("the chain verifies after every kill", async () => {
    const rows = must(head()).seq;
    const out = await runCli(["audit", "verify"], { PORTCULLIS_DB: t.file });
    expect(out.stdout).toContain(`chain intact: ${rows} rows`);
    reportFigures("kill -9 chain", { auditRows: rows });
  });
});
