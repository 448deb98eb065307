import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { afterAll, beforeAll, expect, it } from "vitest";

import {
  auditRows,
  childEnv,
  CLI_BUNDLE,
  ensureCliBundle,
  eventually,
  serverEntry,
  tempDatabase,
} from "@/lib/testing/proxy";
import { INITIALIZED_TEXT, initializeText } from "@/lib/testing/raw-mcp";

let t: ReturnType<typeof tempDatabase>;

beforeAll(async () => {
  await ensureCliBundle();
  t = tempDatabase();
});

afterAll(() => {
  t?.cleanup();
});

it("a client that closes its end of stdout mid-call stops portcullis run cleanly, outcome written", async () => {
  const policy = path.join(t.dir, "allow.yaml");
  fs.writeFileSync(policy, `version: "1"\ndefault: allow\n`);
  const proxy = spawn(
    process.execPath,
    [
      CLI_BUNDLE,
      "run",
      "--policy",
      policy,
      "--",
      process.execPath,
      serverEntry("everything"),
      "stdio",
    ],
    { env: childEnv({ PORTCULLIS_DB: t.file }), stdio: ["pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  proxy.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const send = (m: unknown) => proxy.stdin.write(`${JSON.stringify(m)}\n`);
  const lines: string[] = [];
  proxy.stdout.on("data", (c: Buffer) => lines.push(...c.toString("utf8").split("\n")));
  proxy.stdin.write(`${initializeText("t")}\n`);
  await eventually(() => lines.some((l) => l.includes('"id":"init"')) || undefined, 15_000);
  proxy.stdin.write(`${INITIALIZED_TEXT}\n`);
  send({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "trigger-long-running-operation", arguments: { duration: 1, steps: 1 } },
  });
  // The client goes away while its call runs; stdin stays open, so only the write can tell.
  await new Promise((r) => setTimeout(r, 300));
  proxy.stdout.destroy();

  const code = await new Promise<number | null>((resolve) => proxy.once("exit", resolve));
  expect(stderr).not.toMatch(/Unhandled 'error' event|EPIPE/);
  expect(code).toBe(0);
  const rows = auditRows(t.db);
  const decided = rows.find(
    (r) => r.action === "tool_call.decide" && r.tool === "trigger-long-running-operation",
  );
  expect(decided?.decision).toBe("allow");
  expect(
    rows.some((r) => r.action === "tool_call.outcome" && r.correlationId === decided?.id),
  ).toBe(true);
});
