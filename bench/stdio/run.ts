// Sequential `tools/call echo` over stdio with the SDK client: straight to the echo server, through
// a raw line-forwarding pass-through, and through `portcullis run --policy` with policy, counters
// and audit on. Percentiles over the first and the last tenth of the calls show whether a path
// slows down as its database and counters grow.
//
//   npm run bench stdio                             20,000 calls per path
//   npx tsx bench/stdio/run.ts --calls 5000         fewer calls (windows: first and last tenth)
//   npx tsx bench/stdio/run.ts --write-docs         replace "### stdio" in docs/benchmarks.md
//   npx tsx bench/stdio/run.ts --cpu-prof DIR       write a CPU profile of `portcullis run` to DIR
import fs from "node:fs";
import path from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

import { CLI_BUNDLE, childEnv, ensureCliBundle, tempDatabase } from "@/lib/testing/proxy";
import {
  ascending,
  ECHO_SERVER,
  fmtMiB,
  fmtUs,
  loadAverage,
  markdownTable,
  numberOption,
  parseFlags,
  PeakRss,
  runFacts,
  percentile,
  decisionRows,
  POLICY,
  summarizeCpuProfile,
  writeDocSection,
} from "../gateway/common";

const flags = parseFlags(process.argv.slice(2));
const CALLS = Math.round(numberOption(flags, "calls", "BENCH_CALLS", 20_000));
const WINDOW = Math.max(1, Math.floor(CALLS / 10));
const WRITE_DOCS = flags.has("write-docs");
const PASSTHROUGH = path.join(import.meta.dirname, "passthrough.mjs");
const CPU_PROF = flags.get("cpu-prof");
if (CPU_PROF === true) throw new Error("--cpu-prof needs a directory");

type PathResult = {
  label: string;
  first: { p50: number; p99: number };
  last: { p50: number; p99: number };
  seconds: number;
  rss: number;
};

async function measure(label: string, args: string[], env: Record<string, string>) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args,
    env: childEnv({ NODE_ENV: "production", ...env }) as Record<string, string>,
    stderr: "inherit",
  });
  const client = new Client({ name: "bench", version: "1.0.0" });
  await client.connect(transport);
  const rss = new PeakRss(transport.pid ?? 0, 1000);
  const samples = new Float64Array(CALLS);
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    const r = await client.callTool({ name: "echo", arguments: { message: `call ${i}` } });
    samples[i] = performance.now() - t0;
    if (r.isError) throw new Error(`${label}: call ${i} refused: ${JSON.stringify(r.content)}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const peak = rss.stop();
  await client.close();
  const window = (from: number) => {
    const s = ascending(Array.from(samples.subarray(from, from + WINDOW)));
    return { p50: percentile(s, 0.5), p99: percentile(s, 0.99) };
  };
  const result: PathResult = {
    label,
    first: window(0),
    last: window(CALLS - WINDOW),
    seconds,
    rss: peak.bytes,
  };
  process.stdout.write(
    `${label}: first ${WINDOW} p50 ${fmtUs(result.first.p50)} p99 ${fmtUs(result.first.p99)}; ` +
      `last ${WINDOW} p50 ${fmtUs(result.last.p50)} p99 ${fmtUs(result.last.p99)}; ` +
      `${CALLS} calls in ${seconds.toFixed(1)} s; peak RSS ${fmtMiB(peak.bytes)}\n`,
  );
  return result;
}

async function main(): Promise<void> {
  await ensureCliBundle();
  const t = tempDatabase();
  const policyFile = path.join(t.dir, "echo.yaml");
  fs.writeFileSync(policyFile, POLICY);
  const results: PathResult[] = [];
  let decisions = 0;
  const loadBefore = loadAverage();
  try {
    results.push(await measure("direct: SDK client → echo server", [ECHO_SERVER], {}));
    results.push(
      await measure(
        "raw pass-through (bench/stdio/passthrough.mjs)",
        [PASSTHROUGH, process.execPath, ECHO_SERVER],
        {},
      ),
    );
    results.push(
      await measure(
        "**`portcullis run --policy`** (policy, counters, audit on)",
        [
          ...(CPU_PROF ? ["--cpu-prof", "--cpu-prof-dir", path.resolve(String(CPU_PROF))] : []),
          CLI_BUNDLE,
          "run",
          "--policy",
          policyFile,
          "--name",
          "echo",
          "--",
          process.execPath,
          ECHO_SERVER,
        ],
        { PORTCULLIS_DB: t.file, PORTCULLIS_LOG_LEVEL: "warn" },
      ),
    );
    decisions = decisionRows(t.db);
  } finally {
    t.cleanup();
  }

  const raw = results[1];
  const added = (r: PathResult, w: "first" | "last") => {
    if (!raw || r === raw || r === results[0]) return "—";
    const d = r[w].p50 - raw[w].p50;
    return `${d < 0 ? "−" : "+"}${fmtUs(Math.abs(d))}`;
  };
  const n = (x: number) => x.toLocaleString("en-US");
  const firstLabel = `calls 1–${n(WINDOW)}`;
  const lastLabel = `calls ${n(CALLS - WINDOW + 1)}–${n(CALLS)}`;
  const table = markdownTable(
    [
      "Path",
      `p50, ${firstLabel}`,
      "p99",
      `p50, ${lastLabel}`,
      "p99",
      "p50 added over pass-through (first / last)",
      "calls/s",
      "peak RSS",
    ],
    results.map((r) => [
      r.label,
      fmtUs(r.first.p50),
      fmtUs(r.first.p99),
      fmtUs(r.last.p50),
      fmtUs(r.last.p99),
      `${added(r, "first")} / ${added(r, "last")}`,
      (CALLS / r.seconds).toFixed(0),
      fmtMiB(r.rss),
    ]),
  );
  const facts = runFacts(loadBefore);
  const audit = `\`portcullis run\` wrote ${n(decisions)} decision rows for ${n(CALLS)} calls.`;
  process.stdout.write(`\n${table}\n\n${audit}\n\n${facts}\n`);
  if (CPU_PROF) {
    // The main thread's profile is the largest; worker threads (checkpoints) write their own.
    const dir = path.resolve(String(CPU_PROF));
    const profiles = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".cpuprofile"))
      .map((f) => path.join(dir, f))
      .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size);
    if (profiles[0])
      process.stdout.write(
        `\nCPU profile of portcullis run: ${summarizeCpuProfile(profiles[0])}\n`,
      );
  }

  if (WRITE_DOCS) {
    const cmd = `npx tsx bench/stdio/run.ts ${process.argv.slice(2).join(" ")}`.trim();
    writeDocSection(
      "### stdio",
      `### stdio

Command: \`${cmd}\` (\`npm run bench stdio\` runs the same without writing).
${facts}

One SDK client (\`StdioClientTransport\`) makes ${n(CALLS)} sequential \`tools/call echo\` calls,
with no warm-up, down each path to the echo server of the gateway benchmark: straight to it;
through a raw pass-through that copies lines both ways without parsing them
(\`bench/stdio/passthrough.mjs\`, the cost of any extra process in the pipe); and through
\`portcullis run --policy FILE -- node bench/gateway/echo-server.mjs\` with the policy above on a
fresh database (decision row, two counters, redacted arguments committed before each call is
forwarded). Percentiles are over the first and over the last ${n(WINDOW)} calls, so a path that
slows down as its audit log and counters grow shows it; peak RSS is the client's child and its
descendants, sampled every second.

${table}

${audit} The first calls of every path include its start-up (both ends still compiling their hot
code), which is why the direct path is faster later; the machine is shared with other builds and
test runs (see the load averages), so compare rows of one run.
`,
      { parent: "## Gateway" },
    );
  }
}

await main();
process.exit(0);
