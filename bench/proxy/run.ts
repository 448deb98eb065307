// Added latency of the stdio proxy and the HTTP gateway against calling the server directly,
// and sustained throughput through the gateway. `--write-docs` updates the "## Gateway" section
// of docs/benchmarks.md with the results.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import {
  CLI_BUNDLE,
  connectHttp,
  ensureCliBundle,
  REPO_ROOT_FOR_TESTS,
  serverEntry,
  spawnGateway,
  tempDatabase,
} from "@/lib/testing/proxy";

const SEQUENTIAL = Number(process.env.BENCH_CALLS ?? 500);
const WARMUP = 50;
const CONCURRENCY = Number(process.env.BENCH_CLIENTS ?? 8);
const SUSTAIN_MS = Number(process.env.BENCH_SECONDS ?? 10) * 1000;

const POLICY = `version: "1"
default: allow
audit:
  arguments: redacted
tools:
  echo:
    rules:
      - name: no secrets in messages
        action: evaluate
        conditions: [{ path: args.message, op: not_regex, value: "(?i)password|secret" }]
      - rate_limit: { max: 1000000, window: 60 }
  "*":
    rules:
      - rate_limit: 1000000/minute
        scope: shared
`;

type Stats = { p50: number; p99: number; mean: number; n: number };

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return {
    p50: at(0.5),
    p99: at(0.99),
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    n: s.length,
  };
}

async function sequential(client: Client): Promise<Stats> {
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + SEQUENTIAL; i++) {
    const t0 = performance.now();
    const r = await client.callTool({ name: "echo", arguments: { message: `hello ${i}` } });
    const dt = performance.now() - t0;
    if (r.isError) throw new Error(`call refused: ${JSON.stringify(r.content)}`);
    if (i >= WARMUP) samples.push(dt);
  }
  return stats(samples);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.end();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
const delta = (ms: number) => `${ms < 0 ? "−" : "+"}${fmt(Math.abs(ms))}`;

async function main(): Promise<void> {
  await ensureCliBundle();
  const t = tempDatabase();
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: os.tmpdir(),
    PORTCULLIS_DB: t.file,
    PORTCULLIS_LOG_LEVEL: "warn",
  };
  const policyFile = path.join(t.dir, "bench.yaml");
  fs.writeFileSync(policyFile, POLICY);
  const children: ChildProcess[] = [];
  try {
    // Direct over stdio.
    const direct = new Client({ name: "bench", version: "1" });
    await direct.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [serverEntry("everything"), "stdio"],
        stderr: "ignore",
      }),
    );
    const directStdio = await sequential(direct);
    await direct.close();

    // Through `portcullis run` (stdio proxy).
    const viaRun = new Client({ name: "bench", version: "1" });
    await viaRun.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [
          CLI_BUNDLE,
          "run",
          "--policy",
          policyFile,
          "--name",
          "everything",
          "--",
          process.execPath,
          serverEntry("everything"),
          "stdio",
        ],
        env,
        stderr: "ignore",
      }),
    );
    const proxyStdio = await sequential(viaRun);
    await viaRun.close();

    // Direct over Streamable HTTP (the server's own HTTP transport).
    const port = await freePort();
    const httpServer = spawn(process.execPath, [serverEntry("everything"), "streamableHttp"], {
      env: { ...env, PORT: String(port) } as unknown as NodeJS.ProcessEnv,
      stdio: "ignore",
    });
    children.push(httpServer);
    await waitForPort(port);
    const directHttpClient = new Client({ name: "bench", version: "1" });
    await directHttpClient.connect(
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)),
    );
    const directHttp = await sequential(directHttpClient);
    await directHttpClient.close();
    httpServer.kill("SIGTERM");

    // Through `portcullis serve` (HTTP gateway, stdio upstream).
    const up = insertUpstream(t.db, {
      name: "everything",
      command: process.execPath,
      args: [serverEntry("everything"), "stdio"],
    });
    insertPolicyVersion(t.db, up.id, POLICY);
    const { key } = insertAgentWithKey(t.db, { name: "bench-agent" });
    const gw = await spawnGateway(t.file, {
      PORTCULLIS_LOG_LEVEL: "info",
      PORTCULLIS_MAX_SESSIONS: "64",
    });
    children.push(gw.child);
    const one = await connectHttp(`${gw.url}/mcp/everything`, key);
    const gateway = await sequential(one.client);
    await one.client.close();

    // Sustained: N concurrent clients (one session, one upstream child each) for a fixed time.
    const clients = await Promise.all(
      Array.from({ length: CONCURRENCY }, () => connectHttp(`${gw.url}/mcp/everything`, key)),
    );
    const loadSamples: number[] = [];
    let calls = 0;
    let errors = 0;
    const end = performance.now() + SUSTAIN_MS;
    const started = performance.now();
    await Promise.all(
      clients.map(async ({ client }, c) => {
        for (let i = 0; performance.now() < end; i++) {
          const t0 = performance.now();
          const r = await client.callTool({ name: "echo", arguments: { message: `c${c} ${i}` } });
          loadSamples.push(performance.now() - t0);
          if (r.isError) errors += 1;
          calls += 1;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    await Promise.all(clients.map(({ client }) => client.close()));
    await gw.stop();
    const load = stats(loadSamples);
    const throughput = calls / elapsed;
    const decisions = (
      t.db.$client
        .prepare("SELECT count(*) AS n FROM audit_events WHERE action = 'tool_call.decide'")
        .get() as { n: number }
    ).n;

    const rows = [
      ["direct, stdio (server-everything)", directStdio, "—"],
      [
        "through `portcullis run` (stdio proxy)",
        proxyStdio,
        `${delta(proxyStdio.p50 - directStdio.p50)} / ${delta(proxyStdio.p99 - directStdio.p99)} vs direct stdio`,
      ],
      ["direct, Streamable HTTP (server-everything)", directHttp, "—"],
      [
        "through `portcullis serve` (HTTP gateway → stdio upstream)",
        gateway,
        `${delta(gateway.p50 - directHttp.p50)} / ${delta(gateway.p99 - directHttp.p99)} vs direct HTTP; ${delta(gateway.p50 - directStdio.p50)} / ${delta(gateway.p99 - directStdio.p99)} vs direct stdio`,
      ],
    ] as const;
    const table = [
      "| Path | p50 | p99 | mean | added p50 / p99 |",
      "| --- | --- | --- | --- | --- |",
      ...rows.map(
        ([name, s, added]) =>
          `| ${name} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.mean)} | ${added} |`,
      ),
    ].join("\n");
    const loadLine = `Sustained through the gateway: **${throughput.toFixed(0)} calls/s** with ${CONCURRENCY} concurrent clients for ${elapsed.toFixed(1)} s (${calls} calls, ${errors} refused or failed, p50 ${fmt(load.p50)}, p99 ${fmt(load.p99)}); ${decisions} decision rows written in all.`;
    const machine = `${os.cpus().length} vCPU (${os.cpus()[0]?.model.trim() ?? "unknown"}), Node ${process.versions.node}, SQLite WAL with synchronous=NORMAL, load average at the end ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" / ")}`;
    process.stdout.write(`${table}\n\n${loadLine}\n\n${machine}\n`);

    if (process.argv.includes("--write-docs")) {
      const doc = path.join(REPO_ROOT_FOR_TESTS, "docs", "benchmarks.md");
      const section = `## Gateway

Command: \`npx tsx bench/proxy/run.ts --write-docs\` (writes this section; without the flag it only prints).
Machine: ${machine}.

Each path makes ${SEQUENTIAL} sequential \`tools/call echo\` calls (after ${WARMUP} warm-up calls) with the SDK's real
client; the upstream is \`@modelcontextprotocol/server-everything\` run with \`node\`. The proxied paths enforce a
realistic policy on every call (a \`not_regex\` condition, a per-agent rolling limit and a shared calendar limit,
redacted argument audit) and commit the decision row and both counter reservations in one IMMEDIATE
transaction before forwarding; outcome rows are batched every 50 ms.

${table}

${loadLine}

The gateway row is compared with both direct paths: against the server's own Streamable HTTP transport
(the same wire protocol, a different server stack) and against calling it over stdio (what the gateway itself
does behind its HTTP endpoint). What the added latency is made of: one synchronous SQLite write transaction per call (decision row, two
counter rows, hash-chain head read), the JSON parse/re-serialization of the message, and — on the gateway — the
HTTP request and SSE response framing of the SDK's Streamable HTTP server transport in front of the upstream. In
the sustained run every client session has its own upstream child, so 8 server processes, the gateway and the
load generator share the 2 cores. The machine is shared with other
builds, so absolute figures move between runs; compare rows of one run.
`;
      const current = fs.existsSync(doc) ? fs.readFileSync(doc, "utf8") : "# Benchmarks\n";
      const start = current.indexOf("\n## Gateway");
      let next: string;
      if (start < 0) next = `${current.trimEnd()}\n\n${section}`;
      else {
        const after = current.indexOf("\n## ", start + 1);
        next = `${current.slice(0, start).trimEnd()}\n\n${section}${after >= 0 ? `\n${current.slice(after + 1)}` : ""}`;
      }
      fs.writeFileSync(doc, next.endsWith("\n") ? next : `${next}\n`);
      process.stdout.write(`updated ${doc}\n`);
    }
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    t.cleanup();
  }
}

await main();
process.exit(0);
