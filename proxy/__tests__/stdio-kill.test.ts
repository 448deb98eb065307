import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { afterAll, beforeAll, expect, it } from "vitest";

import { verifyChain } from "@/lib/services/audit";
import {
  auditRows,
  childEnv,
  CLI_BUNDLE,
  ensureCliBundle,
  eventually,
  FIXTURES,
  tempDatabase,
} from "@/lib/testing/proxy";

let t: ReturnType<typeof tempDatabase>;

beforeAll(async () => {
  await ensureCliBundle();
  t = tempDatabase();
});

afterAll(() => {
  t?.cleanup();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it("kill -9 of portcullis run under load leaves no upstream behind, and the audit chain verifies", async () => {
  const policy = path.join(t.dir, "kill.yaml");
  fs.writeFileSync(policy, `version: "1"\ndefault: allow\n`);
  const record = path.join(t.dir, "kill.jsonl");
  const proxy = spawn(
    process.execPath,
    [
      CLI_BUNDLE,
      "run",
      "--policy",
      policy,
      "--",
      process.execPath,
      path.join(FIXTURES, "recording-server.mjs"),
    ],
    {
      env: childEnv({ PORTCULLIS_DB: t.file, RECORD_FILE: record }),
      stdio: ["pipe", "pipe", "ignore"],
    },
  );
  proxy.stdin.on("error", () => {});
  proxy.stdout.resume();
  const send = (m: unknown) => {
    if (proxy.stdin.writable) proxy.stdin.write(`${JSON.stringify(m)}\n`);
  };
  send({
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "load", version: "1" },
    },
  });
  send({ jsonrpc: "2.0", method: "notifications/initialized" });
  let n = 0;
  const load = setInterval(() => {
    for (let i = 0; i < 20; i++)
      send({
        jsonrpc: "2.0",
        id: ++n,
        method: "tools/call",
        params: { name: "record", arguments: { n } },
      });
  }, 5);
  // Under load: the upstream has received calls, so one is running.
  const upstreamPid = await eventually(() => {
    if (!fs.existsSync(record)) return null;
    const first = fs.readFileSync(record, "utf8").split("\n")[0];
    return first ? (JSON.parse(first) as { pid: number }).pid : null;
  });
  await eventually(() => fs.readFileSync(record, "utf8").split("\n").length > 50);
  clearInterval(load);
  const exited = new Promise((r) => proxy.once("exit", r));
  proxy.kill("SIGKILL");
  await exited;

  await eventually(() => !alive(upstreamPid), 10_000);
  expect(verifyChain(t.db)).toMatchObject({ ok: true });
  // Every call the upstream received has its decision, committed before it was forwarded.
  const received = fs
    .readFileSync(record, "utf8")
    .trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as { args: { n: number } }).args.n);
  const decided = new Set(
    auditRows(t.db)
      .filter((r) => r.action === "tool_call.decide" && r.decision === "allow")
      .map((r) => (JSON.parse(r.arguments ?? "{}") as { n: number }).n),
  );
  expect(received.length).toBeGreaterThan(50);
  expect(received.filter((x) => !decided.has(x))).toEqual([]);
});
