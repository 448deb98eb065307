// The console's audit queries over a chosen number of chained audit rows in a real SQLite file
// (`--rows N`, default 100,000; `--days D` spreads them over the last D days, default 1): list
// pages (first and deep keyset pages, filtered), denied calls of the last 24 h, calls by agent and
// by tool, free-text search, one event, dashboard stats for 5 min, 1 h, 24 h and 7 d, a full
// JSONL export and a chain verification, plus the indexer's catch-up rate and the bytes per row.
// `--write-docs` writes the "## Console queries at <N> audit rows" section of docs/benchmarks.md.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { type Db, MIGRATIONS_DIR, openMigratedDb } from "@/db/client";
import type { ListAuditInput } from "@/lib/core/audit/inputs";
import { newId } from "@/lib/core/ids";
import { type AuditFields, appendEvents, verifyChain } from "@/lib/services/audit";
import { catchUpIndex, indexProgress, TAIL_BEFORE_QUERY } from "@/lib/services/audit/indexer";
import {
  auditStats,
  exportAuditEvents,
  getAuditEvent,
  listAuditEvents,
} from "@/lib/services/audit/queries";
import { verifyAuditChainWithProgress } from "@/lib/services/audit/verify-progress";
import { type ServiceContext, withTransaction } from "@/lib/services/context";
import { seededRandom } from "@/lib/testing/random";
import { countFlag, writeDocSection } from "../gateway/common";

const REPO_ROOT = path.resolve(import.meta.dirname, "..", "..");

const TOTAL_ROWS = countFlag("rows", 100_000);
const DAYS = countFlag("days", 1);
const BATCH = 1000;
const DAY_MS = 24 * 60 * 60_000;
const SPAN_MS = DAYS * DAY_MS;
const ROWS_LABEL =
  TOTAL_ROWS % 1_000_000 === 0
    ? `${TOTAL_ROWS / 1_000_000}M`
    : TOTAL_ROWS % 1000 === 0
      ? `${TOTAL_ROWS / 1000}k`
      : String(TOTAL_ROWS);
const SECTION = `## Console queries at ${ROWS_LABEL} audit rows`;

// Seeded so every run writes the same distribution of rows.
const random = seededRandom(20_260_101);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

const SERVERS = {
  github: [
    "create_issue",
    "list_issues",
    "get_file",
    "create_pull_request",
    "merge_pull_request",
    "delete_branch",
    "push_files",
  ],
  filesystem: [
    "read_file",
    "write_file",
    "list_directory",
    "move_file",
    "delete_file",
    "search_files",
    "get_file_info",
  ],
  postgres: ["query", "execute", "list_tables", "describe_table", "drop_table", "export_table"],
} as const;
const SERVER_NAMES = Object.keys(SERVERS) as (keyof typeof SERVERS)[];
const AGENTS = [
  "release-bot",
  "support-assistant",
  "data-analyst",
  "code-reviewer",
  "ops-runner",
].map((label) => ({ id: newId("agent"), label }));
const RULES = [
  "allow-reads",
  "deny-destructive",
  "approve-merges",
  "limit-writes",
  "protect-main",
  "sandbox-paths",
  "no-ddl",
  "hourly-export-cap",
  "deny-secrets-paths",
  "default",
];
const DENIALS = [
  {
    cause: "rule",
    reason: "Destructive tools are not allowed for this agent",
    message: "Denied by policy: destructive tool",
  },
  {
    cause: "rule",
    reason: "Argument path is outside the sandbox",
    message: "Denied by policy: path outside /srv/data",
  },
  {
    cause: "rate_limit",
    reason: "Rate limit of 60 calls per 1h reached",
    message: "Rate limited; retry in 1200 s",
  },
  { cause: "hidden", reason: "Tool is hidden by policy", message: "Unknown tool" },
  {
    cause: "rule",
    reason: "Writes to the main branch need a pull request",
    message: "Denied by policy: protected branch",
  },
];
const OUTCOMES = [
  "success",
  "success",
  "success",
  "success",
  "success",
  "success",
  "is_error",
  "timeout",
  "upstream_error",
  "jsonrpc_error",
];

function argumentsFor(server: string, tool: string, i: number): string {
  if (server === "github")
    return JSON.stringify({
      owner: "acme",
      repo: `service-${i % 40}`,
      branch: i % 3 ? "main" : `feature/${i % 97}`,
      title: `Change ${i}`,
    });
  if (server === "filesystem")
    return JSON.stringify({
      path: `/srv/data/project-${i % 50}/${tool}-${i % 1000}.txt`,
      encoding: "utf8",
    });
  return JSON.stringify({ sql: `SELECT * FROM orders WHERE customer_id = ${i % 5000} LIMIT 100` });
}

/** TOTAL_ROWS rows, oldest first, spread over the DAYS before `now`: decisions and outcomes. */
function* auditRows(now: number): Generator<AuditFields> {
  const start = now - SPAN_MS;
  const step = SPAN_MS / TOTAL_ROWS;
  let emitted = 0;
  let pendingOutcome: AuditFields | null = null;
  while (emitted < TOTAL_ROWS) {
    if (pendingOutcome) {
      yield pendingOutcome;
      pendingOutcome = null;
      emitted += 1;
      continue;
    }
    const at = Math.floor(start + emitted * step + random() * step);
    const server = pick(SERVER_NAMES);
    const tool = pick(SERVERS[server]);
    const agent = pick(AGENTS);
    const roll = random();
    const decision = roll < 0.7 ? "allow" : roll < 0.92 ? "deny" : "approval_required";
    const denial = decision === "deny" ? pick(DENIALS) : null;
    const id = newId("event");
    const redacted = server === "postgres";
    yield {
      id,
      occurredAt: at,
      source: "gateway",
      actorType: "agent",
      actorId: agent.id,
      actorLabel: agent.label,
      action: "tool_call.decide",
      server,
      tool,
      decision,
      cause: denial?.cause ?? null,
      rule: decision === "approval_required" ? "approve-merges" : pick(RULES),
      reason:
        denial?.reason ??
        (decision === "approval_required" ? "Merges need a human approval" : null),
      message: denial?.message ?? null,
      policyVersion: `v${1 + (emitted % 7)}`,
      arguments: redacted
        ? JSON.stringify({ sql: "[redacted]" })
        : argumentsFor(server, tool, emitted),
      argumentsMode: redacted ? "redacted" : "full",
      requestId: newId("request"),
      remoteIp: "127.0.0.1",
    };
    emitted += 1;
    if (decision === "allow" && random() < 0.85) {
      const outcome = pick(OUTCOMES);
      pendingOutcome = {
        id: newId("event"),
        occurredAt: at + 5 + Math.floor(random() * 400),
        source: "gateway",
        actorType: "agent",
        actorId: agent.id,
        actorLabel: agent.label,
        action: "tool_call.outcome",
        server,
        tool,
        outcome,
        latencyMs: outcome === "timeout" ? 60_000 : 3 + Math.floor(random() ** 3 * 2000),
        resultBytes: outcome === "success" ? 200 + Math.floor(random() * 40_000) : null,
        correlationId: id,
      };
    }
  }
}

type Measurement = {
  name: string;
  runs: number;
  median: number;
  p95: number;
  /** Median CPU time of this process per run: what the query costs, whatever else the machine runs. */
  cpu: number;
  result: string;
};

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

/** Warm-up, then runs until `maxRuns` or a time budget is spent (at least `minRuns`). */
type RunOptions = { warmup?: number; maxRuns?: number; minRuns?: number; budgetMs?: number };

/** Times `run` repeatedly (wall and process CPU, every thread included) after warm-up. */
async function timed(
  name: string,
  run: () => string | Promise<string>,
  opts: RunOptions = {},
): Promise<Measurement> {
  const { warmup = 3, maxRuns = 60, minRuns = 7, budgetMs = 6000 } = opts;
  let result = "";
  for (let i = 0; i < warmup; i += 1) result = await run();
  const times: number[] = [];
  const cpus: number[] = [];
  const began = performance.now();
  while (
    times.length < maxRuns &&
    (times.length < minRuns || performance.now() - began < budgetMs)
  ) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    result = await run();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
  }
  times.sort((a, b) => a - b);
  cpus.sort((a, b) => a - b);
  const m = {
    name,
    runs: times.length,
    median: percentile(times, 0.5),
    p95: percentile(times, 0.95),
    cpu: percentile(cpus, 0.5),
    result,
  };
  process.stderr.write(
    `${name}: median ${m.median.toFixed(2)} ms, p95 ${m.p95.toFixed(2)} ms, CPU ${m.cpu.toFixed(2)} ms (${m.runs} runs) → ${result}\n`,
  );
  return m;
}

const fmt = (ms: number) =>
  ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;

type Sizes = { total: number; parts: { name: string; bytes: number }[] };

/** Bytes on disk per table and its indexes (SQLite's dbstat), after a checkpoint. */
function sizesOf(db: Db): Sizes {
  db.$client.pragma("wal_checkpoint(TRUNCATE)");
  const rows = db.$client
    .prepare("SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name")
    .all() as { name: string; bytes: number }[];
  const group = (name: string) =>
    name === "audit_events" ||
    name.startsWith("sqlite_autoindex_audit_events") ||
    name.startsWith("audit_events_")
      ? "audit_events (rows, id and correlation indexes)"
      : name.startsWith("audit_search")
        ? "audit_search (full-text index)"
        : name.startsWith("audit_rollups")
          ? "audit_rollups"
          : name.startsWith("audit_minutes")
            ? "audit_minutes"
            : "other tables";
  const parts = new Map<string, number>();
  for (const r of rows) parts.set(group(r.name), (parts.get(group(r.name)) ?? 0) + r.bytes);
  const list = [...parts].map(([name, bytes]) => ({ name, bytes }));
  return { total: list.reduce((a, b) => a + b.bytes, 0), parts: list };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-bench-console-"));
  let db: Db | undefined;
  try {
    db = openMigratedDb(path.join(dir, "audit.db"), path.join(REPO_ROOT, MIGRATIONS_DIR));
    const now = Date.now();
    const ctx: ServiceContext = {
      db,
      actor: { type: "user", userId: "usr_bench", label: "admin@bench", role: "admin" },
      source: "console",
      requestId: newId("request"),
      now: () => new Date(now),
    };
    const append = (rows: Generator<AuditFields>, n: number) => {
      for (let written = 0; written < n; written += BATCH) {
        const batch: AuditFields[] = [];
        for (let i = 0; i < Math.min(BATCH, n - written); i += 1) {
          const next = rows.next();
          if (next.done) break;
          batch.push(next.value);
        }
        withTransaction({ db: db as Db }, (tx) => appendEvents(tx, batch));
      }
    };

    const insertStart = performance.now();
    append(auditRows(now), TOTAL_ROWS);
    const insertMs = performance.now() - insertStart;
    const insertRate = TOTAL_ROWS / (insertMs / 1000);
    const counts = db.$client
      .prepare(
        "SELECT count(*) AS total, sum(action = 'tool_call.decide') AS decisions, sum(decision = 'deny') AS denied, sum(action = 'tool_call.outcome') AS outcomes FROM audit_events",
      )
      .get() as { total: number; decisions: number; denied: number; outcomes: number };
    if (counts.total !== TOTAL_ROWS)
      throw new Error(`expected ${TOTAL_ROWS} rows, found ${counts.total}`);
    process.stderr.write(
      `inserted ${TOTAL_ROWS} rows in ${(insertMs / 1000).toFixed(1)} s (${Math.round(insertRate)} rows/s); ${counts.decisions} decisions, ${counts.denied} denied, ${counts.outcomes} outcomes\n`,
    );
    const indexStart = performance.now();
    catchUpIndex(db);
    const indexMs = performance.now() - indexStart;
    const indexRate = TOTAL_ROWS / (indexMs / 1000);
    process.stderr.write(
      `indexed in ${(indexMs / 1000).toFixed(1)} s (${Math.round(indexRate)} rows/s)\n`,
    );
    db.$client.pragma("optimize");
    const sizes = sizesOf(db);

    const results: Measurement[] = [];
    const page = (input: ListAuditInput) => () => {
      const p = listAuditEvents(ctx, input);
      return `${p.rows.length} rows`;
    };
    const agent = AGENTS[2] as (typeof AGENTS)[number];
    const deepCursor = Math.round(TOTAL_ROWS / 50); // keyset page near the oldest end, newest first
    const midCursor = TOTAL_ROWS / 2;
    const dayAgo = now - DAY_MS;
    results.push(await timed("list: first page (newest, 100 rows)", page({})));
    results.push(
      await timed(
        "list: first page with outcomes (decisions view)",
        page({ view: "decisions", withOutcomes: true }),
      ),
    );
    results.push(
      await timed(
        `list: deep keyset page (cursor seq ${deepCursor})`,
        page({ cursor: deepCursor }),
      ),
    );
    results.push(
      await timed("denied calls, last 24 h: first page", page({ view: "denied", from: dayAgo })),
    );
    results.push(
      await timed(
        `denied calls, last 24 h: deep page (cursor seq ${midCursor})`,
        page({ view: "denied", from: dayAgo, cursor: midCursor }),
      ),
    );
    results.push(await timed("list: decision=deny, first page", page({ decision: "deny" })));
    results.push(
      await timed(
        `list: decision=deny, deep page (cursor seq ${deepCursor})`,
        page({ decision: "deny", cursor: deepCursor }),
      ),
    );
    results.push(await timed("list: server=postgres, first page", page({ server: "postgres" })));
    results.push(
      await timed(
        `list: server=postgres, deep page (cursor seq ${deepCursor})`,
        page({ server: "postgres", cursor: deepCursor }),
      ),
    );
    results.push(
      await timed(`calls by agent: agent=${agent.label}, first page`, page({ agent: agent.label })),
    );
    results.push(
      await timed(
        `calls by agent: agent=${agent.label}, deep page (cursor seq ${deepCursor})`,
        page({ agent: agent.label, cursor: deepCursor }),
      ),
    );
    results.push(
      await timed("calls by tool: tool=drop_table, first page", page({ tool: "drop_table" })),
    );
    results.push(
      await timed(
        `calls by tool: tool=drop_table, deep page (cursor seq ${midCursor})`,
        page({ tool: "drop_table", cursor: midCursor }),
      ),
    );
    results.push(
      await timed(
        "list: server + agent + decision=deny, first page",
        page({ server: "github", agent: agent.label, decision: "deny" }),
      ),
    );
    const hour = 3_600_000;
    results.push(
      await timed(
        `list: time range (1 h, ${DAYS > 1 ? "3 d" : "12 h"} ago), first page`,
        page({
          from: now - (DAYS > 1 ? 72 : 12) * hour - hour,
          to: now - (DAYS > 1 ? 72 : 12) * hour,
        }),
      ),
    );
    const text = async (label: string, q: string) =>
      results.push(await timed(`free text q="${q}" (${label}), first page`, page({ q })));
    await text("a rule name and a reason", "sandbox");
    await text("a word prefix", "sandb");
    await text("common", "release-bot");
    await text("a phrase in reasons", "outside the sandbox");
    await text("no match", "no-such-text");

    const ids = (
      db.$client
        .prepare(
          "SELECT id FROM audit_events WHERE action = 'tool_call.decide' ORDER BY random() LIMIT 200",
        )
        .all() as { id: string }[]
    ).map((r) => r.id);
    let n = 0;
    let withOutcome = 0;
    results.push(
      await timed("getAuditEvent (decision + its outcome)", () => {
        const detail = getAuditEvent(ctx, ids[n++ % ids.length] as string);
        if (detail.outcome) withOutcome += 1;
        return `${withOutcome} of ${n} with an outcome`;
      }),
    );
    const windows = [
      [5, "5 min"],
      [60, "1 h"],
      [24 * 60, "24 h"],
      [7 * 24 * 60, "7 d"],
    ] as const;
    const stats = (label: string, input: Parameters<typeof auditStats>[1]) =>
      timed(`dashboard stats: ${label}`, () => {
        const s = auditStats(ctx, input);
        return `${s.calls} calls, ${s.denied} denied, p95 ${s.latencyP95Ms} ms`;
      });
    for (const [minutes, label] of windows) results.push(await stats(`last ${label}`, { minutes }));
    results.push(await stats("last 24 h, server=github", { minutes: 24 * 60, server: "github" }));

    // The console indexes before it answers once more rows than this wait; up to that, a query
    // reads the unindexed rows itself.
    const tailRows = TAIL_BEFORE_QUERY;
    append(auditRows(now), tailRows);
    const { indexedSeq, headSeq } = indexProgress(db);
    const tail = `${headSeq - indexedSeq} rows after the watermark`;
    results.push(
      await timed(`free text q="no-such-text" (no match), ${tail}`, page({ q: "no-such-text" })),
    );
    results.push(
      await timed(`denied calls, last 24 h, ${tail}`, page({ view: "denied", from: dayAgo })),
    );
    results.push(await stats(`last 24 h, ${tail}`, { minutes: 24 * 60 }));

    let exported = { lines: 0, bytes: 0 };
    results.push(
      await timed(
        "export: full JSONL, streamed and discarded",
        () => {
          const out = exportAuditEvents(ctx, { format: "jsonl" });
          let lines = 0;
          let bytes = 0;
          for (const line of out.lines) {
            lines += 1;
            bytes += Buffer.byteLength(line);
          }
          exported = { lines, bytes };
          return `${lines} lines, ${(bytes / 1024 / 1024).toFixed(1)} MiB`;
        },
        { warmup: 1, minRuns: 3, maxRuns: 5, budgetMs: 20_000 },
      ),
    );
    results.push(
      await timed(
        "verifyChain: all rows, one thread",
        () => {
          const report = verifyChain(db as Db);
          if (!report.ok) throw new Error(`chain broken: ${report.why}`);
          return `${report.rows} rows ok`;
        },
        { warmup: 1, minRuns: 3, maxRuns: 5, budgetMs: 20_000 },
      ),
    );
    let progressLines = 0;
    results.push(
      await timed(
        "console Verify: all rows with progress (two threads, then checkpoints and its audit row)",
        async () => {
          progressLines = 0;
          const report = await verifyAuditChainWithProgress(ctx, {}, () => {
            progressLines += 1;
          });
          if (!report.ok) throw new Error(`chain broken: ${JSON.stringify(report)}`);
          return `${report.rows} rows ok, ${progressLines} progress updates`;
        },
        { warmup: 1, minRuns: 3, maxRuns: 5, budgetMs: 20_000 },
      ),
    );

    const table = [
      "| Query | Result | Runs | Median | p95 | CPU (median) |",
      "| --- | --- | --- | --- | --- | --- |",
      ...results.map(
        (r) =>
          `| ${r.name} | ${r.result} | ${r.runs} | ${fmt(r.median)} | ${fmt(r.p95)} | ${fmt(r.cpu)} |`,
      ),
    ].join("\n");
    const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
    const perRow = (b: number) => `${Math.round(b / TOTAL_ROWS)} B/row`;
    const sizeTable = [
      "| Part | Size | Per row |",
      "| --- | ---: | ---: |",
      ...sizes.parts
        .sort((a, b) => b.bytes - a.bytes)
        .map((p) => `| ${p.name} | ${mib(p.bytes)} | ${perRow(p.bytes)} |`),
      `| **whole file** | **${mib(sizes.total)}** | **${perRow(sizes.total)}** |`,
    ].join("\n");
    const insertLine = `Insert: ${TOTAL_ROWS.toLocaleString("en-US")} rows through \`appendEvents\` (hash chain) in batches of ${BATCH}, one IMMEDIATE transaction per batch: ${(insertMs / 1000).toFixed(1)} s, **${Math.round(insertRate).toLocaleString("en-US")} rows/s**. Catch-up indexing of all of them (search index, seq map, rollups; batches of 1,000 rows per transaction): ${(indexMs / 1000).toFixed(1)} s, **${Math.round(indexRate).toLocaleString("en-US")} rows/s**. The export wrote ${exported.lines.toLocaleString("en-US")} lines, ${(exported.bytes / 1024 / 1024).toFixed(0)} MiB.`;
    const machine = `${os.cpus().length} vCPU (${os.cpus()[0]?.model.trim() ?? "unknown"}), Node ${process.versions.node}, SQLite WAL with synchronous=NORMAL, load average at the end ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" / ")}`;
    process.stdout.write(`${insertLine}\n\n${sizeTable}\n\n${table}\n\n${machine}\n`);

    if (process.argv.includes("--write-docs")) {
      const section = `${SECTION}

Command: \`npm run bench console -- --rows ${TOTAL_ROWS}${DAYS !== 1 ? ` --days ${DAYS}` : ""} --write-docs\` (writes this section; without \`--write-docs\` it only prints; \`--rows\` and \`--days\` choose the data).
Machine: ${machine}.

Data: a fresh SQLite file in the temporary directory, migrated with the real migrations, holding ${TOTAL_ROWS.toLocaleString("en-US")}
audit rows spread over the last ${DAYS === 1 ? "24 h" : `${DAYS} days`}: ${counts.decisions.toLocaleString("en-US")} \`tool_call.decide\` rows (about 70 % allow, 22 % deny, 8 %
approval_required; 3 servers, 5 agents, 20 tools, 10 rules) and ${counts.outcomes.toLocaleString("en-US")} matching \`tool_call.outcome\` rows.
Every query goes through the console's service functions (\`listAuditEvents\`, \`getAuditEvent\`, \`auditStats\`,
\`exportAuditEvents\`, \`verifyChain\`, and \`verifyAuditChainWithProgress\`, what the console's Verify button
runs) as an admin; list pages are 100 rows, newest first. Each row is the
median and p95 of repeated runs after warm-up (up to 60 runs or about 6 s per query; 3–5 runs for the export
and the verifications), and the median CPU time the process spent per run, all its threads together (on one
thread, wall time minus waiting for a core on a shared machine). The last three list and stats queries run with ${tailRows.toLocaleString("en-US")} rows appended after the indexer's watermark.

${insertLine}

Bytes per audit row on disk, by part (SQLite \`dbstat\`, after a WAL checkpoint):

${sizeTable}

${table}
`;
      writeDocSection(SECTION, section);
    }
  } finally {
    db?.$client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
