// The cost of one decision (`decideToolCall`: counter read, reservation and audit row in one
// IMMEDIATE transaction) on a real SQLite file, with 0, 10k, 100k and 1M reservations already
// inside a rolling (1 hour) and a calendar (UTC day) window. For comparison, the same
// transaction with the previous counter read: a sum over every reservation in the window.
// `npm run bench decision` (or `npx tsx bench/decision/run.ts`) prints the table; `--rounds N`
// (default 3) repeats every scenario N times in turn and reports the median of the rounds.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import type { Statement } from "better-sqlite3";

import { type Db, MIGRATIONS_DIR, openMigratedDb } from "@/db/client";
import { newId } from "@/lib/core/ids";
import {
  type CounterReader,
  type CounterWindow,
  evaluate,
  loadPolicy,
  type PolicySnapshot,
} from "@/lib/core/policy";
import {
  addDecimal,
  type Decimal,
  formatDecimal,
  parseDecimal,
  ZERO,
} from "@/lib/core/policy/decimal";
import { appendEvents } from "@/lib/services/audit";
import { newCounterRowId } from "@/lib/services/counters";
import { type DecideCallInput, decideToolCall } from "@/lib/services/enforcement";
import { median, numberOption, parseFlags, POLICY } from "../gateway/common";
import { commitCostPerPage, walFramesPerDecision } from "./wal-frames";

const REPO_ROOT = path.resolve(import.meta.dirname, "..", "..");
const SIZES = [0, 10_000, 100_000, 1_000_000];
const HOUR = 3_600_000;
const DAY = 86_400_000;
const BIG = 100_000_000;

type Shape = {
  name: string;
  rule: (max: number) => string;
  counter: string;
  span: (now: number) => [number, number];
};
const SHAPES: Shape[] = [
  {
    name: "rolling 1 h",
    rule: (max) => `rate_limit: { max: ${max}, window: 3600 }`,
    counter: "_rate_3600s",
    span: (now) => [now - HOUR + 1_000, now],
  },
  {
    name: "calendar day",
    rule: (max) => `rate_limit: ${max}/day`,
    counter: "_rate_day",
    span: (now) => [Math.floor(now / DAY) * DAY, now],
  },
];

function snapshotFor(shape: Shape, max: number): PolicySnapshot {
  const loaded = loadPolicy(
    `version: "1"\ntools:\n  send:\n    rules:\n      - ${shape.rule(max)}\n`,
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.snapshot;
}

const keyOf = (shape: Shape, agentId: string) =>
  `["agent",${JSON.stringify(agentId)},"srv","state.send.${shape.counter}"]`;

function input(snapshot: PolicySnapshot, i: number, agentId = "agt_bench"): DecideCallInput {
  return {
    snapshot,
    policyVersion: "pv_bench",
    server: "srv",
    upstreamId: null,
    tool: "send",
    arguments: { to: "someone@example.com", i },
    identity: { agentId, keyId: null, label: "bench" },
    grants: [],
    source: "gateway",
    requestId: String(i),
    now: Date.now(),
  };
}

/** Reservations spread evenly over [from, to), one prepared insert in one transaction. */
function seed(db: Db, key: string, count: number, [from, to]: [number, number]): void {
  const insert = db.$client.prepare(
    "INSERT INTO counter_events (key, at, id, amount, decision_id) VALUES (?, ?, ?, '1', NULL)",
  );
  const step = (to - from) / Math.max(1, count);
  db.$client.transaction(() => {
    for (let i = 0; i < count; i++) insert.run(key, Math.floor(from + i * step), i);
  })();
}

// ---- The previous decision path, kept here for comparison: sum every row in the window. ----

function oldBounds(window: CounterWindow): [number, number] {
  return window.kind === "calendar"
    ? [window.start, window.end]
    : [window.from + 1, Number.MAX_SAFE_INTEGER];
}

function oldReader(sums: Statement, entries: Statement): CounterReader {
  const read = ((key: string, window: CounterWindow) => {
    let total: Decimal = ZERO;
    for (const row of sums.iterate(key, ...oldBounds(window)) as Iterable<{
      amount: string;
      n: number;
    }>) {
      const d = parseDecimal(row.amount) ?? ZERO;
      total = addDecimal(total, { digits: d.digits * BigInt(row.n), scale: d.scale });
    }
    return formatDecimal(total);
  }) as CounterReader;
  read.entries = (key, window) =>
    (entries.all(key, ...oldBounds(window)) as { at: number; amount: string }[]).sort(
      (a, b) => a.at - b.at,
    );
  return read;
}

function oldDecide(
  db: Db,
  call: DecideCallInput,
  s: { sums: Statement; entries: Statement; insert: Statement },
): string {
  return db.transaction(
    (tx) => {
      const now = Math.max(call.now, Date.now());
      const id = newId("event");
      const decision = evaluate(call.snapshot, {
        server: call.server,
        tool: call.tool,
        arguments: call.arguments,
        agentId: call.identity.agentId,
        grants: call.grants,
        counters: oldReader(s.sums, s.entries),
        now,
      });
      if (decision.kind === "allow")
        for (const r of decision.reservations)
          s.insert.run(r.key, now, newCounterRowId(), r.amount, id);
      appendEvents(tx, [
        {
          id,
          occurredAt: now,
          source: call.source,
          actorType: "agent",
          actorId: call.identity.agentId,
          actorLabel: call.identity.label,
          action: "tool_call.decide",
          server: call.server,
          tool: call.tool,
          decision: decision.kind === "require_approval" ? "approval_required" : decision.kind,
          rule: decision.rule,
          policyVersion: call.policyVersion,
          arguments: JSON.stringify(call.arguments),
          argumentsMode: "redacted",
          requestId: call.requestId,
        },
      ]);
      return decision.kind;
    },
    { behavior: "immediate" },
  );
}

// ---- Measurement ----

type Stats = { median: number; p99: number; runs: number };

function timed(runs: number, fn: (i: number) => string, expect: string): Stats {
  const us: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const kind = fn(i);
    us.push(Number(process.hrtime.bigint() - start) / 1000);
    if (kind !== expect) throw new Error(`expected ${expect}, got ${kind}`);
  }
  us.sort((a, b) => a - b);
  const at = (p: number) => us[Math.min(us.length - 1, Math.floor(p * us.length))] ?? Number.NaN;
  return { median: at(0.5), p99: at(0.99), runs };
}

type Row = {
  shape: string;
  size: number;
  first: number;
  allow: Stats;
  deny: Stats;
  old: Stats;
};

function scenario(shape: Shape, size: number): Row {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-bench-decision-"));
  const db = openMigratedDb(path.join(dir, "bench.db"), path.join(REPO_ROOT, MIGRATIONS_DIR));
  try {
    const now = Date.now();
    seed(db, keyOf(shape, "agt_bench"), size, shape.span(now));
    // A second agent already at its limit, its reservations in the last ten minutes.
    const atLimit = Math.max(1, size);
    seed(db, keyOf(shape, "agt_full"), atLimit, [Math.max(shape.span(now)[0], now - 600_000), now]);
    db.$client.pragma("wal_checkpoint(TRUNCATE)");
    const open = snapshotFor(shape, BIG);
    const full = snapshotFor(shape, atLimit);
    let n = 0;

    // The previous decision path first, on the seeded rows; its reservations are removed after.
    const s = {
      sums: db.$client.prepare(
        "SELECT amount, count(*) AS n FROM counter_events WHERE key = ? AND at >= ? AND at < ? GROUP BY amount",
      ),
      entries: db.$client.prepare(
        "SELECT at, amount FROM counter_events WHERE key = ? AND at >= ? AND at < ?",
      ),
      insert: db.$client.prepare(
        "INSERT INTO counter_events (key, at, id, amount, decision_id) VALUES (?, ?, ?, ?, ?)",
      ),
    };
    const oldRuns = size >= 1_000_000 ? 15 : size >= 100_000 ? 60 : 500;
    const old = () => oldDecide(db, input(open, n++), s);
    timed(Math.min(20, oldRuns), old, "allow");
    const oldStats = timed(oldRuns, old, "allow");
    db.$client.prepare("DELETE FROM counter_events WHERE decision_id IS NOT NULL").run();

    // The first decision on a key builds its head from the rows once (migration, new window shape).
    const decide = (snapshot: PolicySnapshot, agentId?: string) => () =>
      decideToolCall(db, input(snapshot, n++, agentId)).kind;
    const first = timed(1, decide(open), "allow").median;
    timed(300, decide(open), "allow");
    const allow = timed(3000, decide(open), "allow");
    // At the limit: every call is refused, with an exact retry-after on the rolling window.
    timed(100, decide(full, "agt_full"), "deny");
    const deny = timed(2000, decide(full, "agt_full"), "deny");
    return { shape: shape.name, size, first, allow, deny, old: oldStats };
  } finally {
    db.$client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (us: number) =>
  us >= 10_000
    ? `${(us / 1000).toFixed(0)} ms`
    : us >= 1000
      ? `${(us / 1000).toFixed(1)} ms`
      : `${us.toFixed(0)} µs`;

const ROUNDS = Math.max(
  1,
  Math.round(numberOption(parseFlags(process.argv.slice(2)), "rounds", "BENCH_ROUNDS", 3)),
);
const stats = (rs: Stats[]): Stats => ({
  median: median(rs.map((r) => r.median)),
  p99: median(rs.map((r) => r.p99)),
  runs: rs.reduce((n, r) => n + r.runs, 0),
});

// Every scenario once per round, in turn, so a busy spell on a shared machine lands on all sizes
// rather than on the one that ran then; the 1M / 0 ratio compares sizes measured side by side.
const byScenario = new Map<string, Row[]>();
for (let round = 1; round <= ROUNDS; round++) {
  for (const shape of SHAPES) {
    for (const size of SIZES) {
      const row = scenario(shape, size);
      const key = `${shape.name}|${size}`;
      byScenario.set(key, [...(byScenario.get(key) ?? []), row]);
      process.stderr.write(
        `round ${round}/${ROUNDS} ${shape.name}, ${size}: ${fmt(row.allow.median)} (old ${fmt(row.old.median)})\n`,
      );
    }
  }
}
const rows: Row[] = [...byScenario.values()].map((rs) => ({
  shape: rs[0]?.shape ?? "",
  size: rs[0]?.size ?? 0,
  first: median(rs.map((r) => r.first)),
  allow: stats(rs.map((r) => r.allow)),
  deny: stats(rs.map((r) => r.deny)),
  old: stats(rs.map((r) => r.old)),
}));

console.log(
  `\n${os.cpus().length} vCPU (${os.cpus()[0]?.model.trim() ?? "unknown"}), Node ${process.versions.node}, SQLite WAL with synchronous=NORMAL, load average at the end ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ")}\n`,
);
console.log(
  "| Window | Reservations in window | Decision (allow): median | p99 | At the limit (deny): median | p99 | First decision on the key | Previous sum, whole decision: median | p99 |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(
    `| ${r.shape} | ${r.size.toLocaleString("en-US")} | ${fmt(r.allow.median)} | ${fmt(r.allow.p99)} | ${fmt(r.deny.median)} | ${fmt(r.deny.p99)} | ${fmt(r.first)} | ${fmt(r.old.median)} | ${fmt(r.old.p99)} |`,
  );
}
console.log("");
for (const shape of SHAPES) {
  const none = rows.find((r) => r.shape === shape.name && r.size === 0);
  const most = rows.find((r) => r.shape === shape.name && r.size === SIZES.at(-1));
  if (!none || !most) continue;
  // Each round's 1M and 0 were measured minutes apart at most: their ratio is paired, and the
  // reported figure is the median of those ratios.
  const perRound = (byScenario.get(`${shape.name}|${most.size}`) ?? []).flatMap((m, i) => {
    const n = byScenario.get(`${shape.name}|0`)?.[i];
    return n ? [m.allow.median / n.allow.median] : [];
  });
  const ratio = median(perRound);
  console.log(
    `${shape.name}: 1M / 0 reservations = ${ratio.toFixed(2)}× (target ≤ 1.5×: ${ratio <= 1.5 ? "met" : "NOT met"}; median of ${ROUNDS} round${ROUNDS === 1 ? "" : "s"}: ${perRound.map((r) => r.toFixed(2)).join(", ")}×); previous sum ${(most.old.median / none.old.median).toFixed(0)}×`,
  );
}

// The commit's cost is mostly its pages: count them for the gateway benchmark's policy.
const frames = walFramesPerDecision(POLICY, REPO_ROOT);
console.log(
  `\nWAL frames per decision (the gateway benchmark's policy: two counters, redacted arguments; 200 decisions after 5,000): ${frames.total.toFixed(1)}`,
);
console.log("\n| b-tree | frames per decision |\n| --- | ---: |");
for (const [name, n] of frames.byTree) console.log(`| \`${name}\` | ${n.toFixed(2)} |`);

// What those pages cost: a commit's price per page written, measured on this machine.
const cost = commitCostPerPage(REPO_ROOT);
console.log(
  `\nA write transaction costs ${cost.fixedUs.toFixed(1)} µs plus ${cost.perPageUs.toFixed(1)} µs per page it writes ` +
    `(median of 3 rounds; pages → µs: ${cost.points.map(([k, t]) => `${k} → ${t.toFixed(1)}`).join(", ")}): ` +
    `the ${frames.total.toFixed(1)} frames of a decision are about ${(frames.total * cost.perPageUs).toFixed(0)} µs of it.`,
);
