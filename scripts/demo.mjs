// `npm run demo`: a demo agent that calls the demo server through the gateway with a realistic,
// paced mix of calls, so every kind of decision shows up in the console within a minute:
// allowed, denied by a rule, hidden, not permitted, rate-limited, refused for bad arguments and
// held for approval. Stops with Ctrl-C, or after --duration <seconds>.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const { values: opts } = parseArgs({
  options: {
    url: { type: "string" },
    server: { type: "string", default: "everything" },
    duration: { type: "string" },
    pace: { type: "string", default: "900" },
    help: { type: "boolean", short: "h" },
  },
});

if (opts.help) {
  process.stderr.write(
    [
      "Usage: npm run demo -- [--url <gateway url>] [--server <name>] [--duration <seconds>] [--pace <ms>]",
      "  Key: PORTCULLIS_DEMO_AGENT_KEY, else the demo-agent.key file next to PORTCULLIS_DB.",
      "",
    ].join("\n"),
  );
  process.exit(0);
}

function gatewayBase() {
  if (opts.url) return opts.url.replace(/\/+$/, "");
  if (process.env.PORTCULLIS_GATEWAY_URL)
    return process.env.PORTCULLIS_GATEWAY_URL.replace(/\/+$/, "");
  const host = process.env.PORTCULLIS_HOST || "127.0.0.1";
  const port = process.env.PORTCULLIS_GATEWAY_PORT || "7400";
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

function demoKey() {
  if (process.env.PORTCULLIS_DEMO_AGENT_KEY) return process.env.PORTCULLIS_DEMO_AGENT_KEY.trim();
  const db = (
    process.env.PORTCULLIS_DB || path.join(os.homedir(), ".portcullis", "portcullis.db")
  ).replace(/^~(?=$|\/)/, os.homedir());
  const file = path.join(path.dirname(path.resolve(db)), "demo-agent.key");
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    process.stderr.write(
      `demo: no agent key. Set PORTCULLIS_DEMO_AGENT_KEY, or start Portcullis once (npm start) so the seed writes ${file}.\n`,
    );
    process.exit(1);
  }
}

const MESSAGES = [
  "Summarise yesterday's support tickets",
  "Draft a reply to the customer about invoice 4417",
  "What changed in the deploy pipeline this week?",
  "List open incidents for the payments team",
  "Translate the release notes to German",
  "Check the status of order 88213",
];
const SECRETS = [
  "use password hunter2 for the staging box",
  "my api_key is sk-demo-123",
  "here is the deploy token: abc123",
];
const CITIES = ["New York", "Chicago", "Los Angeles"];
const pick = (list) => list[Math.floor(Math.random() * list.length)];
const int = (max) => Math.floor(Math.random() * max);

/** One call of each kind of outcome first, then a weighted random mix. */
const SCRIPT = [
  { label: "allowed", tool: "echo", args: () => ({ message: pick(MESSAGES) }) },
  { label: "allowed", tool: "get-sum", args: () => ({ a: int(100), b: int(100) }) },
  {
    label: "denied by rule",
    tool: "trigger-long-running-operation",
    args: () => ({ duration: 30, steps: 10 }),
  },
  { label: "denied by condition", tool: "echo", args: () => ({ message: pick(SECRETS) }) },
  { label: "hidden", tool: "get-env", args: () => ({}) },
  { label: "not permitted", tool: "get-tiny-image", args: () => ({}) },
  { label: "bad arguments", tool: "get-sum", args: () => ({ a: "twelve", b: 3 }) },
  {
    label: "held for approval",
    tool: "get-sum",
    args: () => ({ a: 1000 + int(9000), b: int(50) }),
    background: true,
  },
  { label: "allowed", tool: "get-structured-content", args: () => ({ location: pick(CITIES) }) },
  {
    label: "denied by rule",
    tool: "gzip-file-as-resource",
    args: () => ({ name: "notes.gz", data: "https://example.com/notes.txt" }),
  },
];

const MIX = [
  [30, SCRIPT[0]],
  [18, SCRIPT[1]],
  [10, SCRIPT[8]],
  [
    6,
    {
      label: "allowed",
      tool: "get-annotated-message",
      args: () => ({ messageType: pick(["success", "debug", "error"]) }),
    },
  ],
  [5, SCRIPT[3]],
  [4, SCRIPT[2]],
  [4, SCRIPT[4]],
  [4, SCRIPT[5]],
  [4, SCRIPT[6]],
  [3, SCRIPT[9]],
  [3, SCRIPT[7]],
  [9, { label: "burst", tool: "echo", burst: 6, args: () => ({ message: pick(MESSAGES) }) }],
];
const TOTAL_WEIGHT = MIX.reduce((n, [w]) => n + w, 0);

function nextStep() {
  let r = Math.random() * TOTAL_WEIGHT;
  for (const [w, step] of MIX) if ((r -= w) < 0) return step;
  return MIX[0][1];
}

const counts = new Map();
const tally = (k) => counts.set(k, (counts.get(k) ?? 0) + 1);

function resultText(result) {
  const text = (result.content ?? [])
    .filter((c) => c.type === "text")
    .map((c) => c.text)
    .join(" ");
  return text.replace(/\s+/g, " ").slice(0, 110);
}

/** Calls held for approval, retried (identically) until a human decides or they expire. */
const held = [];

async function call(client, step, fixedArgs) {
  const args = fixedArgs ?? step.args();
  const started = Date.now();
  try {
    const result = await client.callTool({ name: step.tool, arguments: args }, undefined, {
      timeout: 120_000,
    });
    const ms = Date.now() - started;
    const text = resultText(result);
    let kind = result.isError
      ? text.startsWith("[POLICY DENIED]")
        ? "denied"
        : "tool error"
      : "ok";
    if (text.startsWith("[APPROVAL PENDING]")) {
      kind = "pending approval";
      if (!fixedArgs) held.push({ step, args, since: Date.now() });
    } else if (fixedArgs) {
      const i = held.findIndex((h) => h.args === args);
      if (i >= 0) held.splice(i, 1);
    }
    tally(kind);
    process.stderr.write(
      `${kind === "ok" ? "✓" : kind === "pending approval" ? "…" : "✗"} ${step.tool.padEnd(31)} ${kind.padEnd(16)} ${String(ms).padStart(5)} ms  ${text}\n`,
    );
  } catch (err) {
    tally("error");
    process.stderr.write(
      `! ${step.tool.padEnd(31)} error            ${err instanceof Error ? err.message : String(err)}\n`,
    );
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const url = `${gatewayBase()}/mcp/${encodeURIComponent(opts.server)}`;
  const key = demoKey();
  const client = new Client({ name: "portcullis-demo-agent", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
  });
  try {
    await client.connect(transport);
  } catch (err) {
    process.stderr.write(
      `demo: could not connect to ${url}: ${err instanceof Error ? err.message : String(err)}\nIs the gateway running (npm start)?\n`,
    );
    process.exit(1);
  }
  const { tools } = await client.listTools();
  process.stderr.write(
    `demo: connected to ${url} as the demo agent; ${tools.length} tools visible: ${tools.map((t) => t.name).join(", ")}\n`,
  );
  process.stderr.write(
    "demo: calling tools; watch the console's dashboard, denied calls and approvals. Ctrl-C to stop.\n\n",
  );

  const pace = Math.max(100, Number(opts.pace) || 900);
  const deadline = opts.duration ? Date.now() + Number(opts.duration) * 1000 : Infinity;
  let stopping = false;
  process.on("SIGINT", () => {
    stopping = true;
  });
  const background = new Set();
  const run = (step) => {
    if (step.background) {
      const p = call(client, step, step.retry).finally(() => background.delete(p));
      background.add(p);
      return Promise.resolve();
    }
    return call(client, step);
  };

  for (const step of SCRIPT) {
    if (stopping || Date.now() > deadline) break;
    await run(step);
    await sleep(pace);
  }
  let lastRetry = Date.now();
  while (!stopping && Date.now() < deadline) {
    if (held.length && Date.now() - lastRetry > 10_000) {
      lastRetry = Date.now();
      const h = held.shift();
      if (Date.now() - h.since < 10 * 60_000) {
        held.push(h);
        void run({ ...h.step, args: () => h.args, background: true, retry: h.args });
        continue;
      }
    }
    const step = nextStep();
    if (step.burst) {
      for (let i = 0; i < step.burst && !stopping; i++) await call(client, step);
    } else {
      await run(step);
    }
    await sleep(pace / 2 + Math.random() * pace);
  }
  await Promise.race([Promise.all(background), sleep(3000)]);
  await client.close().catch(() => {});
  process.stderr.write(`\ndemo: ${[...counts].map(([k, v]) => `${v} ${k}`).join(", ")}\n`);
  process.exit(0);
}

await main();
