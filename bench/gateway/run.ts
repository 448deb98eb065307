// The Portcullis gateway side by side with the floor (the SDK's own Streamable HTTP server) and
// two pass-through proxies, mcp-proxy and supergateway, all in front of the same stdio echo
// server. N concurrent SDK client sessions call `tools/call echo` in a closed loop; the table
// gives calls/s, p50/p99 latency, errors and the peak RSS of each contender's process tree.
//
//   npm run bench gateway                                   all contenders, 1/8/32/128 sessions
//   npx tsx bench/gateway/run.ts --sessions 1,8 --seconds 3 --contenders floor,portcullis
//   npx tsx bench/gateway/run.ts --cpu-prof /tmp/prof       also profile the Portcullis gateway
//   npx tsx bench/gateway/run.ts --write-docs               replace "## Gateway" in docs/benchmarks.md
//
// Flags (environment variable in brackets): --sessions LIST [BENCH_SESSIONS], --seconds S per
// point [BENCH_SECONDS, 5], --warmup S [BENCH_WARMUP, 1], --rounds R [BENCH_ROUNDS, 1: repeat
// the whole matrix, contenders rotated, and report each cell's median round], --contenders LIST,
// --upstream
// echo|everything (server-everything is heavier, about 135 MB per process), --isolation
// shared|session (the upstream row's isolation setting), --cpu-prof DIR, --write-docs.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import {
  CLI_BUNDLE,
  childEnv,
  ensureCliBundle,
  serverEntry,
  tempDatabase,
} from "@/lib/testing/proxy";
import {
  ascending,
  ECHO_SERVER,
  fmtMiB,
  fmtMs,
  freePort,
  loadAverage,
  markdownTable,
  numberOption,
  parseFlags,
  PeakRss,
  runFacts,
  percentile,
  decisionRows,
  POLICY,
  REPO_ROOT,
  stopTree,
  summarizeCpuProfile,
  track,
  waitForPort,
  waitForStderr,
  writeDocSection,
} from "./common";

// Node 20's fetch keeps an abort listener per request on the signal it was given until the request
// is garbage-collected, and the SDK client gives every request of a session the same signal: a
// long closed loop trips the leak warning, and printing it would load the client.
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (w.name !== "MaxListenersExceededWarning") console.warn(w);
});

const flags = parseFlags(process.argv.slice(2));
const SESSIONS = String(flags.get("sessions") ?? process.env.BENCH_SESSIONS ?? "1,8,32,128")
  .split(",")
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
const SECONDS = numberOption(flags, "seconds", "BENCH_SECONDS", 5);
const WARMUP = numberOption(flags, "warmup", "BENCH_WARMUP", 1);
const ROUNDS = Math.round(numberOption(flags, "rounds", "BENCH_ROUNDS", 1));
const UPSTREAM = String(flags.get("upstream") ?? "echo");
const ISOLATION = flags.get("isolation") as "shared" | "session" | undefined;
const CPU_PROF = flags.get("cpu-prof");
const WRITE_DOCS = flags.has("write-docs");
/** Another build of the gateway (e.g. an older commit's dist/portcullis.mjs) measured in the same run. */
const BEFORE_BUNDLE = flags.get("before-bundle");
const BEFORE_LABEL = String(flags.get("before-label") ?? "an earlier build");
const ALL = ["floor", "mcp-proxy", "supergateway", "portcullis-before", "portcullis"] as const;
type ContenderId = (typeof ALL)[number];
const CONTENDERS = String(
  flags.get("contenders") ??
    ALL.filter((c) => c !== "portcullis-before" || typeof BEFORE_BUNDLE === "string").join(","),
)
  .split(",")
  .filter((c): c is ContenderId => (ALL as readonly string[]).includes(c));
/** Sessions opened at once while a point starts (per-session upstreams spawn a process each). */
const CONNECT_PARALLEL = 8;

if (UPSTREAM !== "echo" && UPSTREAM !== "everything") throw new Error("--upstream echo|everything");
if (ISOLATION !== undefined && !["shared", "session"].includes(ISOLATION))
  throw new Error("--isolation shared|session");
if (CPU_PROF === true) throw new Error("--cpu-prof needs a directory");

/** The upstream's stdio command, the same for every proxy. */
const UPSTREAM_CMD =
  UPSTREAM === "echo"
    ? [process.execPath, ECHO_SERVER]
    : [process.execPath, serverEntry("everything"), "stdio"];

const require = createRequire(import.meta.url);
const versionOf = (pkg: string) =>
  (require(path.join(REPO_ROOT, "node_modules", pkg, "package.json")) as { version: string })
    .version;
const binOf = (pkg: string, bin: string) => {
  const p = require(path.join(REPO_ROOT, "node_modules", pkg, "package.json")) as {
    bin: Record<string, string>;
  };
  return path.join(REPO_ROOT, "node_modules", pkg, p.bin[bin] ?? "");
};
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

type Started = { url: string; child: ChildProcess; headers: Record<string, string> };
type Contender = {
  id: ContenderId;
  label: string;
  start: (sessions: number, round: number) => Promise<Started>;
};
const profileName = (id: string, sessions: number, round: number) =>
  `${id}-${sessions}-sessions${ROUNDS > 1 ? `-round-${round + 1}` : ""}.cpuprofile`;

/** Environment of every contender: nothing of the bench's own, production mode. */
const baseEnv = (extra: Record<string, string> = {}) =>
  childEnv({ NODE_ENV: "production", ...extra });

/**
 * Starts a contender and resolves once `ready` says it serves. Its stderr is drained, keeping only
 * the tail for an error report; a contender that fails to start is stopped with its children.
 */
async function launch(
  cmd: string[],
  env: Record<string, string>,
  ready: (child: ChildProcess) => Promise<string>,
): Promise<{ child: ChildProcess; url: string }> {
  const child = track(
    spawn(cmd[0] ?? "", cmd.slice(1), { env: baseEnv(env), stdio: ["ignore", "ignore", "pipe"] }),
  );
  let tail = "";
  child.stderr?.on("data", (c: Buffer) => {
    tail = (tail + c.toString("utf8")).slice(-4000);
  });
  try {
    return { child, url: await ready(child) };
  } catch (err) {
    await stopTree(child, 1000);
    throw new Error(`${(err as Error).message}\n${tail}`);
  }
}

/** For programs that cannot report the port they got: a free port, then wait until it listens. */
async function startByPort(cmd: string[], port: number, urlPath: string): Promise<Started> {
  const { child } = await launch(cmd, { PORT: String(port) }, async (c) => {
    await waitForPort(port, c);
    return "";
  });
  return { url: `http://127.0.0.1:${port}${urlPath}`, child, headers: {} };
}

const LISTENING = /listening on (http:\/\/\S+)/;

function portcullisSetup() {
  const t = tempDatabase();
  const up = insertUpstream(t.db, {
    name: "echo",
    command: UPSTREAM_CMD[0],
    args: UPSTREAM_CMD.slice(1),
    ...(ISOLATION ? { isolation: ISOLATION } : {}),
  });
  insertPolicyVersion(t.db, up.id, POLICY);
  const { key } = insertAgentWithKey(t.db, { name: "bench-agent" });
  return { t, key, isolation: up.isolation, decisions: () => decisionRows(t.db) };
}

/** Each build of the gateway gets a database of its own: builds keep their counters differently. */
function contenders(
  pc: ReturnType<typeof portcullisSetup>,
  pcBefore: ReturnType<typeof portcullisSetup>,
): Contender[] {
  const portcullis = (
    id: ContenderId,
    label: string,
    bundle: string,
    db: ReturnType<typeof portcullisSetup>,
  ): Contender => ({
    id,
    label,
    start: async (sessions, round) => {
      const nodeArgs =
        typeof CPU_PROF === "string"
          ? [
              "--cpu-prof",
              `--cpu-prof-dir=${path.resolve(CPU_PROF)}`,
              `--cpu-prof-name=${profileName(id, sessions, round)}`,
            ]
          : [];
      // Not spawnGateway: the profile needs node flags in front of the bundle.
      const { child, url } = await launch(
        [process.execPath, ...nodeArgs, bundle, "serve", "--port", "0"],
        {
          PORTCULLIS_DB: db.t.file,
          PORTCULLIS_LOG_LEVEL: "info",
          PORTCULLIS_MAX_SESSIONS: "256",
          // Every benchmark session is the same agent; its own cap would refuse all but 16.
          PORTCULLIS_MAX_SESSIONS_PER_AGENT: "256",
        },
        (c) => waitForStderr(c, LISTENING),
      );
      return {
        url: `${url.replace(/\/$/, "")}/mcp/echo`,
        child,
        headers: { authorization: `Bearer ${db.key}` },
      };
    },
  });
  const all: Contender[] = [
    {
      id: "floor",
      label:
        UPSTREAM === "echo"
          ? "floor: SDK Streamable HTTP server, echo in-process"
          : "floor: server-everything's own Streamable HTTP",
      start: async () => {
        if (UPSTREAM === "everything")
          return startByPort(
            [process.execPath, serverEntry("everything"), "streamableHttp"],
            await freePort(),
            "/mcp",
          );
        const { child, url } = await launch(
          [process.execPath, path.join(import.meta.dirname, "floor-server.mjs")],
          {},
          (c) => waitForStderr(c, LISTENING),
        );
        return { url, child, headers: {} };
      },
    },
    {
      id: "mcp-proxy",
      label: `mcp-proxy ${versionOf("mcp-proxy")}`,
      start: async () => {
        const port = await freePort();
        return startByPort(
          [
            process.execPath,
            binOf("mcp-proxy", "mcp-proxy"),
            "--host",
            "127.0.0.1",
            "--port",
            String(port),
            "--server",
            "stream",
            "--",
            ...UPSTREAM_CMD,
          ],
          port,
          "/mcp",
        );
      },
    },
    {
      id: "supergateway",
      label: `supergateway ${versionOf("supergateway")} --stateful`,
      start: async () => {
        const port = await freePort();
        return startByPort(
          [
            process.execPath,
            binOf("supergateway", "supergateway"),
            "--stdio",
            UPSTREAM_CMD.map(shellQuote).join(" "),
            "--outputTransport",
            "streamableHttp",
            "--stateful",
            "--port",
            String(port),
            "--logLevel",
            "none",
          ],
          port,
          "/mcp",
        );
      },
    },
    portcullis("portcullis", "Portcullis gateway (policy, counters, audit on)", CLI_BUNDLE, pc),
    ...(typeof BEFORE_BUNDLE === "string"
      ? [
          portcullis(
            "portcullis-before",
            `Portcullis gateway, ${BEFORE_LABEL} (policy, counters, audit on)`,
            path.resolve(BEFORE_BUNDLE),
            pcBefore,
          ),
        ]
      : []),
  ];
  return all.filter((c) => CONTENDERS.includes(c.id));
}

// ---------------------------------------------------------------------------------------------
// Load

async function openSessions(
  url: string,
  headers: Record<string, string>,
  n: number,
): Promise<{ clients: Client[]; failed: number; firstError: string | null }> {
  const clients: Client[] = [];
  let failed = 0;
  let firstError: string | null = null;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONNECT_PARALLEL, n) }, async () => {
      while (next < n) {
        next += 1;
        const client = new Client({ name: "bench", version: "1.0.0" });
        try {
          await client.connect(
            new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }),
            { timeout: 60_000 },
          );
          clients.push(client);
        } catch (err) {
          failed += 1;
          firstError ??= (err as Error).message;
        }
      }
    }),
  );
  return { clients, failed, firstError };
}

type Load = {
  calls: number;
  errors: number;
  callsPerSecond: number;
  p50: number;
  p99: number;
  firstError: string | null;
};

/** Every session calls echo in a closed loop; completions inside the measured window count. */
async function drive(clients: Client[]): Promise<Load> {
  const measureFrom = performance.now() + WARMUP * 1000;
  const end = measureFrom + SECONDS * 1000;
  const samples: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  await Promise.all(
    clients.map(async (client, c) => {
      for (let i = 0; performance.now() < end; i++) {
        const t0 = performance.now();
        let failed: string | null = null;
        try {
          const r = await client.callTool(
            { name: "echo", arguments: { message: `session ${c} call ${i}` } },
            undefined,
            { timeout: 60_000 },
          );
          if (r.isError) failed = `tool error: ${JSON.stringify(r.content).slice(0, 200)}`;
        } catch (err) {
          failed = (err as Error).message;
        }
        const t1 = performance.now();
        if (t1 >= measureFrom && t1 <= end) {
          samples.push(t1 - t0);
          if (failed) errors += 1;
        }
        if (failed) {
          firstError ??= failed;
          await new Promise((r) => setTimeout(r, 50)); // a broken session must not spin
        }
      }
    }),
  );
  const sorted = ascending(samples);
  return {
    calls: samples.length,
    errors,
    callsPerSecond: (samples.length - errors) / SECONDS,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    firstError,
  };
}

async function closeAll(clients: Client[]): Promise<void> {
  await Promise.race([
    Promise.allSettled(clients.map((c) => c.close())),
    new Promise((r) => setTimeout(r, 5000)),
  ]);
}

// ---------------------------------------------------------------------------------------------

type Result = {
  round: number;
  sessions: number;
  contender: Contender;
  load: Load | null;
  failedSessions: number;
  rss: number;
  procs: number;
  note: string | null;
  decisions?: number;
};

async function point(
  c: Contender,
  sessions: number,
  round: number,
  pc: ReturnType<typeof portcullisSetup>,
  pcBefore: ReturnType<typeof portcullisSetup>,
): Promise<Result> {
  const measured = c.id === "portcullis" || c.id === "portcullis-before";
  const db = c.id === "portcullis-before" ? pcBefore : pc;
  const before = measured ? db.decisions() : 0;
  let started: Started;
  try {
    started = await c.start(sessions, round);
  } catch (err) {
    return {
      round,
      sessions,
      contender: c,
      load: null,
      failedSessions: sessions,
      rss: 0,
      procs: 0,
      note: `did not start: ${(err as Error).message.split("\n")[0]}`,
    } satisfies Result;
  }
  const rss = new PeakRss(started.child.pid ?? 0);
  let result: Result;
  try {
    const opened = await openSessions(started.url, started.headers, sessions);
    const load = opened.clients.length ? await drive(opened.clients) : null;
    const peak = rss.stop();
    await closeAll(opened.clients);
    result = {
      round,
      sessions,
      contender: c,
      load,
      failedSessions: opened.failed,
      rss: peak.bytes,
      procs: peak.procs,
      note: opened.firstError ?? load?.firstError ?? null,
    };
  } finally {
    rss.stop();
    // A profiled gateway writes its profile on a clean exit: give it time to close its sessions.
    await stopTree(started.child, typeof CPU_PROF === "string" ? 20_000 : 5000);
  }
  if (measured) {
    // Every call answered, warm-up included, has one committed decision row.
    result.decisions = db.decisions() - before;
    if (typeof CPU_PROF === "string") {
      const file = path.join(path.resolve(CPU_PROF), profileName(c.id, sessions, round));
      process.stdout.write(
        fs.existsSync(file)
          ? `\nCPU profile of ${c.label}, ${sessions} session(s): ${summarizeCpuProfile(file)}\n\n`
          : `\n(no CPU profile written at ${file})\n`,
      );
    }
  }
  return result;
}

/** Per sessions × contender, the round with the median calls/s, and the range over the rounds. */
function medians(results: Result[]): (Result & { range: [number, number] })[] {
  const cells = new Map<string, Result[]>();
  for (const r of results) {
    const key = `${r.sessions} ${r.contender.id}`;
    cells.set(key, [...(cells.get(key) ?? []), r]);
  }
  return [...cells.values()].map((rs) => {
    const rate = (r: Result) => r.load?.callsPerSecond ?? -1;
    const sorted = [...rs].sort((a, b) => rate(a) - rate(b));
    const mid = sorted[Math.floor((sorted.length - 1) / 2)] as Result;
    return { ...mid, range: [rate(sorted[0] as Result), rate(sorted.at(-1) as Result)] };
  });
}

function row(r: Result & { range: [number, number] }, floor: Result | undefined): string[] {
  const l = r.load;
  const rate = l
    ? `${l.callsPerSecond.toFixed(0)}${ROUNDS > 1 ? ` (${r.range[0].toFixed(0)}–${r.range[1].toFixed(0)})` : ""}`
    : "—";
  const vsFloor =
    l && floor?.load && floor.load.callsPerSecond > 0 && r.contender.id !== "floor"
      ? `${((100 * l.callsPerSecond) / floor.load.callsPerSecond).toFixed(0)} %`
      : "—";
  const errors =
    (l?.errors ?? 0) + (r.failedSessions ? ` (+${r.failedSessions} sessions refused)` : "");
  return [
    String(r.sessions),
    r.contender.id === "portcullis" ? `**${r.contender.label}**` : r.contender.label,
    rate,
    vsFloor,
    l ? fmtMs(l.p50) : "—",
    l ? fmtMs(l.p99) : "—",
    String(errors),
    fmtMiB(r.rss),
    r.procs ? String(r.procs) : "—",
  ];
}

function verdicts(results: Result[]): string[] {
  const lines: string[] = [];
  for (const n of SESSIONS) {
    const at = results.filter((r) => r.sessions === n);
    const pcs = at.find((r) => r.contender.id === "portcullis")?.load;
    const peers = at.filter(
      (r) => (r.contender.id === "mcp-proxy" || r.contender.id === "supergateway") && r.load,
    );
    if (!pcs || peers.length === 0) continue;
    const best = peers.reduce((a, b) =>
      (b.load?.callsPerSecond ?? 0) > (a.load?.callsPerSecond ?? 0) ? b : a,
    );
    const bestRate = best.load?.callsPerSecond ?? 0;
    const ratio = bestRate > 0 ? pcs.callsPerSecond / bestRate : NaN;
    const beaten = peers.filter((p) => pcs.callsPerSecond > (p.load?.callsPerSecond ?? 0));
    lines.push(
      `- ${n} session${n === 1 ? "" : "s"}: Portcullis ${pcs.callsPerSecond.toFixed(0)} calls/s, ` +
        `${Number.isNaN(ratio) ? "—" : `${ratio.toFixed(2)}×`} the best peer (${best.contender.id}, ` +
        `${bestRate.toFixed(0)} calls/s); beats ${beaten.length} of ${peers.length} peers` +
        (beaten.length ? ` (${beaten.map((b) => b.contender.id).join(", ")})` : "") +
        ".",
    );
  }
  return lines;
}

async function main(): Promise<void> {
  if (CONTENDERS.includes("portcullis")) await ensureCliBundle();
  const pc = portcullisSetup();
  const pcBefore = portcullisSetup();
  const list = contenders(pc, pcBefore);
  const results: Result[] = [];
  const started = Date.now();
  const loadBefore = loadAverage();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts with another contender, so none always runs first on a fresh machine.
      const order = [...list.slice(round % list.length), ...list.slice(0, round % list.length)];
      for (const n of SESSIONS) {
        for (const c of order) {
          const r = await point(c, n, round, pc, pcBefore);
          results.push(r);
          const l = r.load;
          process.stdout.write(
            `${ROUNDS > 1 ? `round ${round + 1}  ` : ""}${String(n).padStart(4)} sessions  ${c.id.padEnd(13)} ` +
              (l
                ? `${l.callsPerSecond.toFixed(0).padStart(6)} calls/s  p50 ${fmtMs(l.p50)}  p99 ${fmtMs(l.p99)}  errors ${l.errors}`
                : "no load") +
              `${r.failedSessions ? `  ${r.failedSessions} sessions refused` : ""}  peak RSS ${fmtMiB(r.rss)} in ${r.procs} processes` +
              `${r.decisions !== undefined ? `  ${r.decisions} decision rows` : ""}` +
              `${r.note ? `\n      first error: ${r.note.slice(0, 300)}` : ""}\n`,
          );
        }
      }
    }
  } finally {
    pc.t.cleanup();
    pcBefore.t.cleanup();
  }

  const order = (r: Result) => SESSIONS.indexOf(r.sessions) * 10 + ALL.indexOf(r.contender.id);
  const cells = medians(results).sort((a, b) => order(a) - order(b));
  const table = markdownTable(
    [
      "Sessions",
      "Contender",
      ROUNDS > 1 ? `calls/s, median of ${ROUNDS} (range)` : "calls/s",
      "vs floor",
      "p50",
      "p99",
      "errors",
      "peak RSS",
      "processes",
    ],
    cells.map((r) =>
      row(
        r,
        cells.find((f) => f.sessions === r.sessions && f.contender.id === "floor"),
      ),
    ),
  );
  const verdict = verdicts(cells);
  const pcsRows = cells.filter((r) => r.contender.id === "portcullis" && r.load);
  const audit = pcsRows.length
    ? `Portcullis wrote ${pcsRows.map((r) => `${r.decisions ?? 0} decision rows for ${r.sessions} session${r.sessions === 1 ? "" : "s"}`).join(", ")} (every call answered, warm-up included, is one decision row).`
    : "";
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const facts = `${runFacts(loadBefore)} The run took ${minutes} min.`;
  process.stdout.write(`\n${table}\n\n${verdict.join("\n")}\n\n${audit}\n\n${facts}\n`);

  if (WRITE_DOCS) {
    const cmd = `npx tsx bench/gateway/run.ts ${process.argv.slice(2).join(" ")}`.trim();
    const isolation =
      pc.isolation === "session"
        ? "its upstream row set to `isolation: session`"
        : `its upstream row left at \`isolation: ${pc.isolation}\``;
    writeDocSection(
      "## Gateway",
      `## Gateway

Command: \`${cmd}\` (\`npm run bench gateway\` runs the same without writing; \`--cpu-prof DIR\`
also profiles the Portcullis gateway and prints its top self-time functions).
${facts}

${typeof BEFORE_BUNDLE === "string" ? `The earlier build is measured in the same run from its own bundle, built in a worktree of that
commit: \`git worktree add .cache/before <commit>\`, \`ln -s ../../node_modules .cache/before/\`, then in
\`.cache/before\` \`node -e 'import("./scripts/lib/bundle.mjs").then((m) => m.bundleCliIfStale(process.cwd()))'\`;
each build gets a database of its own.

` : ""}Contenders, each a Streamable HTTP endpoint on 127.0.0.1, each started afresh for every
row, and all but the floor in front of the same stdio upstream (\`node ${UPSTREAM === "echo" ? "bench/gateway/echo-server.mjs" : "server-everything stdio"}\`${UPSTREAM === "echo" ? ", an SDK 1.x server with one `echo` tool" : ""}):

- **floor**: ${UPSTREAM === "echo" ? "the same echo server in-process behind the SDK's own `StreamableHTTPServerTransport` (stateful sessions, one `McpServer` per session), in its own process (`bench/gateway/floor-server.mjs`) — no proxy, no stdio hop" : "server-everything's own Streamable HTTP transport"};
- **mcp-proxy** (npm \`mcp-proxy\`, its CLI run with \`node\`, \`--server stream\`, defaults
  otherwise, so its in-memory resumability event store is on): one upstream process shared by
  every session;
- **supergateway** (npm \`supergateway\`, run with \`node\`, \`--outputTransport streamableHttp
  --stateful\`): one upstream process per session, started through a shell (its default,
  stateless mode starts one per *request*);
- **Portcullis** (\`portcullis serve\` on a fresh SQLite database, ${isolation}, an agent key
  and the policy below): every call is tied to the agent whose key opened the session, decided
  against the policy, checks and reserves two counters, and has its decision row (hash-chained,
  arguments redacted) committed before it is forwarded — calls that arrive in the same event-loop
  turn share one transaction; outcome rows follow in batches. \`PORTCULLIS_MAX_SESSIONS=256\` and
  \`PORTCULLIS_MAX_SESSIONS_PER_AGENT=256\` (every benchmark session is the same agent).

Both peers run on Node 20 (mcp-proxy's \`pipenet\` dependency declares Node ≥ 22 but serves only
its \`--tunnel\` option, unused here).

\`\`\`yaml
${POLICY.trim()}
\`\`\`

Load: N SDK clients (\`StreamableHTTPClientTransport\`, one session each) call \`tools/call echo\`
in a closed loop — a client sends its next call when the previous one is answered — for ${WARMUP} s
of warm-up and then ${SECONDS} s measured; calls/s counts the successful answers in the measured
window, p50/p99 are over all of them.${ROUNDS > 1 ? ` The whole matrix ran ${ROUNDS} times, each round starting with another contender; each cell shows the round with the median calls/s (its latency, errors and memory) and the range of calls/s over the rounds.` : ""} **The load generator runs in the benchmark process on the
same 2 cores** as the contender and its upstream processes, so at high session counts the client
side takes a large share of the CPU, and the table compares contenders under the same client
cost rather than giving each one's ceiling. Peak RSS is the sum of the resident memory of the
contender's process and all its descendants (its upstream processes included), read from /proc
every 200 ms; "processes" is the most processes in that tree at once (a contender that starts an
upstream per session shows 1 + 2N: supergateway's shell and Portcullis's \`/bin/sh\` watchdog sit
beside each upstream). "vs floor" is the contender's calls/s as a share of the floor's in the same
row group.

${table}

${verdict.join("\n")}

${audit} The machine is shared with other builds and test runs (see the load averages), so absolute
figures move between rounds${ROUNDS > 1 ? " — the ranges show how far" : ""}; compare rows of one run.
`,
      { stopAtLevel: 3 },
    );
  }
}

await main();
process.exit(0);
