// Sequential `tools/call echo` over stdio with the SDK client: straight to the echo server, through
// a raw line-forwarding pass-through, and through `portcullis run --policy` with policy, counters
// and audit on. Percentiles over the first and the last tenth of the calls show whether a path
// slows down as its database and counters grow.
//
//   npm run bench stdio                             20,000 calls per path
//   npx tsx bench/stdio/run.ts --calls 5000         fewer calls (windows: first and last tenth)
//   npx tsx bench/stdio/run.ts --rounds 5           rounds of the three paths, in turn (default 3)
//   npx tsx bench/stdio/run.ts --write-docs         replace "### stdio" in docs/benchmarks.md
//   npx tsx bench/stdio/run.ts --cpu-prof DIR       write a CPU profile of `portcullis run` to DIR
//   npx tsx bench/stdio/run.ts --compare-ref REF     also run the build of commit REF (before/after)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

import { openDb } from "@/db/client";
import { CLI_BUNDLE, childEnv, ensureCliBundle } from "@/lib/testing/proxy";
import { buildAt } from "./other-build";
import {
  ascending,
  ECHO_SERVER,
  fmtMiB,
  fmtUs,
  loadAverage,
  markdownTable,
  median,
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
const ROUNDS = Math.max(1, Math.round(numberOption(flags, "rounds", "BENCH_ROUNDS", 3)));
const WRITE_DOCS = flags.has("write-docs");
const PASSTHROUGH = path.join(import.meta.dirname, "passthrough.mjs");
const CPU_PROF = flags.get("cpu-prof");
const COMPARE_REF = flags.get("compare-ref");
if (COMPARE_REF === true) throw new Error("--compare-ref needs a commit");
if (CPU_PROF === true) throw new Error("--cpu-prof needs a directory");

type PathResult = {
  label: string;
  first: { p50: number; p99: number };
  last: { p50: number; p99: number };
  seconds: number;
  rss: number;
  /** CPU time of the spawned process itself (all its threads, not its children) per call, last window. */
  cpuUs: number;
};

/** CPU seconds a process has used so far, all threads (utime + stime from /proc). */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
// USER_HZ: 100 on every Linux the benchmark runs on (the kernel fixes it for /proc's ABI).
const CLOCK_TICKS = 100;

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
  const pid = transport.pid ?? 0;
  let cpuAtWindow = 0;
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) {
    if (i === CALLS - WINDOW) cpuAtWindow = cpuSeconds(pid);
    const t0 = performance.now();
    const r = await client.callTool({ name: "echo", arguments: { message: `call ${i}` } });
    samples[i] = performance.now() - t0;
    if (r.isError) throw new Error(`${label}: call ${i} refused: ${JSON.stringify(r.content)}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpuUs = ((cpuSeconds(pid) - cpuAtWindow) * 1e6) / WINDOW;
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
    cpuUs,
  };
  process.stdout.write(
    `${label}: first ${WINDOW} p50 ${fmtUs(result.first.p50)} p99 ${fmtUs(result.first.p99)}; ` +
      `last ${WINDOW} p50 ${fmtUs(result.last.p50)} p99 ${fmtUs(result.last.p99)}; ` +
      `${CALLS} calls in ${seconds.toFixed(1)} s; CPU ${fmtUs(cpuUs / 1000)} per call (last ${WINDOW}); ` +
      `peak RSS ${fmtMiB(peak.bytes)}\n`,
  );
  return result;
}

/** One row per path: the median of its rounds (peak RSS: the highest). */
function combine(rounds: PathResult[]): PathResult {
  const of = (f: (r: PathResult) => number) => median(rounds.map(f));
  return {
    label: rounds[0]?.label ?? "",
    first: { p50: of((r) => r.first.p50), p99: of((r) => r.first.p99) },
    last: { p50: of((r) => r.last.p50), p99: of((r) => r.last.p99) },
    seconds: of((r) => r.seconds),
    rss: Math.max(...rounds.map((r) => r.rss)),
    cpuUs: of((r) => r.cpuUs),
  };
}

/**
 * `portcullis run` with the policy on a fresh database file, which the build under test creates
 * and migrates with its own migrations (another commit's schema may differ); decision rows
 * written are added up.
 */
async function measurePortcullis(label: string, bundle: string, profile: boolean) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-bench-stdio-"));
  const file = path.join(dir, "portcullis.db");
  try {
    const policyFile = path.join(dir, "echo.yaml");
    fs.writeFileSync(policyFile, POLICY);
    const prof = profile
      ? [
          "--cpu-prof",
          "--cpu-prof-interval",
          "250",
          "--cpu-prof-dir",
          path.resolve(String(CPU_PROF)),
        ]
      : [];
    const args = [...prof, bundle, "run", "--policy", policyFile, "--name", "echo", "--"];
    const result = await measure(label, [...args, process.execPath, ECHO_SERVER], {
      PORTCULLIS_DB: file,
      PORTCULLIS_LOG_LEVEL: "warn",
    });
    const db = openDb(file, { readonly: true });
    try {
      return { result, decisions: decisionRows(db) };
    } finally {
      db.$client.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await ensureCliBundle();
  const bundles: { label: string; file: string }[] = [
    { label: "**`portcullis run --policy`** (policy, counters, audit on)", file: CLI_BUNDLE },
  ];
  const other = typeof COMPARE_REF === "string" ? await buildAt(COMPARE_REF) : null;
  if (other)
    bundles.push({ label: `\`portcullis run --policy\`, build ${other.commit}`, file: other.file });
  try {
    await runAll(bundles);
  } finally {
    other?.remove();
  }
}

async function runAll(bundles: { label: string; file: string }[]): Promise<void> {
  const perPath: PathResult[][] = [[], [], ...bundles.map(() => [])];
  let decisions = 0;
  const loadBefore = loadAverage();
  // The paths take turns, round after round, so a busy spell on a shared machine lands on all
  // of them instead of on whichever path ran then; each round of Portcullis gets a fresh database.
  for (let round = 1; round <= ROUNDS; round++) {
    process.stdout.write(`round ${round} of ${ROUNDS}\n`);
    perPath[0]?.push(await measure("direct: SDK client → echo server", [ECHO_SERVER], {}));
    perPath[1]?.push(
      await measure(
        "raw pass-through (bench/stdio/passthrough.mjs)",
        [PASSTHROUGH, process.execPath, ECHO_SERVER],
        {},
      ),
    );
    for (const [i, b] of bundles.entries()) {
      const profile = Boolean(CPU_PROF) && round === ROUNDS && i === 0;
      const { result, decisions: rows } = await measurePortcullis(b.label, b.file, profile);
      perPath[2 + i]?.push(result);
      if (i === 0) decisions += rows;
    }
  }

  const results = perPath.map(combine);
  const raws = perPath[1] ?? [];
  const signed = (d: number) => `${d < 0 ? "−" : "+"}${fmtUs(Math.abs(d))}`;
  // Added latency is paired within a round (Portcullis minus that round's pass-through).
  const addedPerRound = (i: number, w: "first" | "last") =>
    (perPath[i] ?? []).map((r, k) => r[w].p50 - (raws[k]?.[w].p50 ?? NaN));
  const added = (i: number, w: "first" | "last") =>
    i < 2 ? "—" : signed(median(addedPerRound(i, w)));
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
      `CPU per call, last ${n(WINDOW)}`,
      "peak RSS",
    ],
    results.map((r, i) => [
      r.label,
      fmtUs(r.first.p50),
      fmtUs(r.first.p99),
      fmtUs(r.last.p50),
      fmtUs(r.last.p99),
      `${added(i, "first")} / ${added(i, "last")}`,
      (CALLS / r.seconds).toFixed(0),
      fmtUs(r.cpuUs / 1000),
      fmtMiB(r.rss),
    ]),
  );
  const facts = runFacts(loadBefore);
  const spread = bundles
    .map((b, i) => {
      const first = addedPerRound(2 + i, "first");
      const last = addedPerRound(2 + i, "last");
      const each = first.map((d, k) => `${signed(d)} / ${signed(last[k] ?? NaN)}`);
      return `${b.label.replace(/\*/g, "")}: ${each.join("; ")}`;
    })
    .join(". ");
  const audit = `\`portcullis run\` wrote ${n(decisions)} decision rows for ${n(CALLS * ROUNDS)} calls. Added over the pass-through in each round (first / last): ${spread}.`;
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

Command: \`${cmd}\` (\`npm run bench stdio\` runs it with the defaults, without writing).
${facts}

One SDK client (\`StdioClientTransport\`) makes ${n(CALLS)} sequential \`tools/call echo\` calls,
with no warm-up, down each path to the echo server of the gateway benchmark: straight to it;
through a raw pass-through that copies lines both ways without parsing them
(\`bench/stdio/passthrough.mjs\`, the cost of any extra process in the pipe); and through
\`portcullis run --policy FILE -- node bench/gateway/echo-server.mjs\` with the policy above on a
fresh database (decision row, two counters, redacted arguments committed before each call is
forwarded). Percentiles are over the first and over the last ${n(WINDOW)} calls, so a path that
slows down as its audit log and counters grow shows it; peak RSS is the client's child and its
descendants, sampled every second; CPU per call is the time the process the client started
spent on a core (all its threads, not its children: the server's own time is not in it) over the
last ${n(WINDOW)} calls, a measure a busy machine disturbs less than latency. The three paths take turns for ${n(ROUNDS)} round${ROUNDS === 1 ? "" : "s"} (each
Portcullis round on a fresh database); every figure is the median of the rounds (peak RSS: the
highest), and the added latency is the median of each round's Portcullis minus the pass-through
run just before it.

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
