import { describe, expect, it } from "vitest";

import { type Db, sqliteHandle } from "@/db/client";
import type { AuditEvent } from "@/db/schema";
import type { ListAuditInput } from "@/lib/core/audit/inputs";
import { statsWindow, UPSTREAM_FAILURES } from "@/lib/core/audit/rollup";
import { newId } from "@/lib/core/ids";
import { createTestDb, testContext } from "@/lib/testing";
import { seededRandom } from "@/lib/testing/random";
import { withTransaction } from "../../context";
import { appendEvents } from "../append";
import type { AuditFields } from "../chain";
import { catchUpIndex, forgetIndexedRows, indexProgress, TAIL_BEFORE_QUERY } from "../indexer";
import { auditStats, listAuditEvents } from "../queries";

const NOW = Date.UTC(2026, 10, 30, 12, 34, 56, 789);
const SERVERS = ["github", "github-enterprise", "memory"];
const TOOLS = ["create_issue", "delete_branch", "read_file", "drop_table"];
const AGENTS = ["release-bot", "data-analyst", "ops"];
const RULES = ["deny-destructive", "sandbox-paths", "allow-reads"];

/** Decisions, refusals, outcomes and console rows over 9 days, with clocks that step back. */
function generate(n: number, seed: number): AuditFields[] {
  const random = seededRandom(seed); // a failure reproduces
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const rows: AuditFields[] = [];
  for (let i = 0; i < n; i++) {
    // Mostly in order, sometimes minutes (or a day) in the past: late commits and clock steps.
    const base = NOW - 9 * 86_400_000 + Math.floor((i / n) * 9 * 86_400_000);
    const skew = random() < 0.05 ? -Math.floor(random() * 86_400_000) : 0;
    const at = Math.min(NOW, base + skew);
    const kind = random();
    const agent = pick(AGENTS);
    const server = pick(SERVERS);
    const tool = pick(TOOLS);
    const common = {
      id: newId("event"),
      occurredAt: at,
      source: "gateway" as const,
      actorType: "agent" as const,
      actorId: `agt_${agent.replace(/-/g, "")}`,
      actorLabel: agent,
      server,
      tool,
    };
    if (kind < 0.55) {
      const decision = random() < 0.3 ? "deny" : random() < 0.1 ? "approval_required" : "allow";
      rows.push({
        ...common,
        action: "tool_call.decide",
        decision,
        rule: random() < 0.9 ? pick(RULES) : null,
        reason: decision === "deny" ? "Path is outside the sandbox of /srv/data" : null,
        arguments: JSON.stringify({ path: `/srv/data/report-${i % 17}.txt`, note: "weekly sync" }),
      });
    } else if (kind < 0.6) {
      rows.push({
        ...common,
        tool: null,
        action: "message.refuse",
        decision: "deny",
        cause: "malformed",
      });
    } else if (kind < 0.9) {
      rows.push({
        ...common,
        action: "tool_call.outcome",
        outcome: pick(["success", "success", "timeout", "is_error", "upstream_error"]),
        latencyMs: random() < 0.05 ? null : Math.floor(random() ** 3 * 5000),
      });
    } else {
      rows.push({
        ...common,
        actorType: "user",
        actorId: "usr_1",
        actorLabel: "admin@example.com",
        server: null,
        tool: null,
        action: "policy.update",
        reason: "Tightened the sandbox rule",
      });
    }
  }
  return rows;
}

function seeded(n: number, seed: number): Db {
  const db = createTestDb();
  const rows = generate(n, seed);
  for (let i = 0; i < rows.length; i += 500)
    withTransaction({ db }, (tx) => appendEvents(tx, rows.slice(i, i + 500)));
  return db;
}

const allRows = (db: Db) =>
  sqliteHandle(db).prepare("SELECT * FROM audit_events ORDER BY seq DESC").all() as Record<
    string,
    unknown
  >[];

/** Every page of a listing, newest first. */
function listAll(db: Db, input: ListAuditInput): number[] {
  const ctx = testContext(db, undefined, () => new Date(NOW));
  const seqs: number[] = [];
  let cursor: number | undefined;
  do {
    const page = listAuditEvents(ctx, { ...input, limit: 150, cursor });
    seqs.push(...page.rows.map((r) => r.seq));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return seqs;
}

/** The same listing at three index states: nothing indexed, part indexed, all indexed. */
function atEveryWatermark(db: Db, run: () => unknown): unknown[] {
  // The query indexes first only above TAIL_BEFORE_QUERY; below it the first run reads raw rows.
  expect(indexProgress(db).headSeq).toBeLessThanOrEqual(TAIL_BEFORE_QUERY);
  const results = [run()];
  expect(indexProgress(db).indexedSeq).toBe(0);
  catchUpIndex(db, Math.floor(indexProgress(db).headSeq / 2));
  results.push(run());
  catchUpIndex(db);
  expect(indexProgress(db).indexedSeq).toBe(indexProgress(db).headSeq);
  results.push(run());
  return results;
}

describe("search and filters over the index and the rows after its watermark", () => {
  it("returns exactly the rows the conditions select, in every index state", () => {
    const db = seeded(480, 7);
    const raw = allRows(db);
    const truth = (pred: (r: Record<string, unknown>) => boolean) =>
      raw.filter(pred).map((r) => r.seq as number);
    const from = NOW - 5 * 86_400_000;
    const to = NOW - 2 * 86_400_000;
    const cases: [ListAuditInput, (r: Record<string, unknown>) => boolean][] = [
      [{ server: "github" }, (r) => r.server === "github"],
      [{ agent: "ops" }, (r) => r.actor_label === "ops" || r.actor_id === "ops"],
      [{ agent: "agt_releasebot" }, (r) => r.actor_id === "agt_releasebot"],
      [
        { tool: "drop_table", decision: "deny" },
        (r) => r.tool === "drop_table" && r.decision === "deny",
      ],
      [{ view: "denied" }, (r) => r.decision === "deny"],
      [
        { view: "decisions", rule: "sandbox-paths" },
        (r) =>
          (r.action === "tool_call.decide" || r.action === "message.refuse") &&
          r.rule === "sandbox-paths",
      ],
      [{ action: "policy.update" }, (r) => r.action === "policy.update"],
      [
        { from, to, server: "memory" },
        (r) =>
          (r.occurred_at as number) >= from &&
          (r.occurred_at as number) <= to &&
          r.server === "memory",
      ],
      [{ from: NOW - 3_600_000 }, (r) => (r.occurred_at as number) >= NOW - 3_600_000],
    ];
    for (const [input, pred] of cases) {
      const expected = truth(pred);
      expect(expected.length, JSON.stringify(input)).toBeGreaterThan(0);
      const fresh = seeded(480, 7);
      for (const got of atEveryWatermark(fresh, () => listAll(fresh, input)))
        expect(got, JSON.stringify(input)).toEqual(expected);
    }
  });

  it("matches free text by word and word prefix, the same before and after indexing", () => {
    const db = seeded(480, 11);
    const raw = allRows(db);
    const words = (r: Record<string, unknown>) =>
      [
        r.action,
        r.actor_id,
        r.actor_label,
        r.server,
        r.tool,
        r.decision,
        r.rule,
        r.cause,
        r.reason,
        r.message,
        r.arguments,
      ]
        .filter((v): v is string => typeof v === "string")
        .join(" ")
        .toLowerCase()
        .match(/[\p{L}\p{N}]+/gu) ?? [];
    const phrase = (r: Record<string, unknown>, q: string[]) => {
      const w = words(r);
      return w.some((_, i) =>
        q.every((t, j) => (j === q.length - 1 ? w[i + j]?.startsWith(t) : w[i + j] === t)),
      );
    };
    for (const q of [
      "sandbox",
      "sandb",
      "outside the sandbox",
      "weekly sync",
      "Tightened",
      "release-bot",
      "report-3",
    ]) {
      const tokens = q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
      const expected = raw.filter((r) => phrase(r, tokens)).map((r) => r.seq as number);
      expect(expected.length, q).toBeGreaterThan(0);
      const fresh = seeded(480, 11);
      for (const got of atEveryWatermark(fresh, () => listAll(fresh, { q })))
        expect(got, q).toEqual(expected);
    }
    // No word in the text: a substring match; an event id: that event and its outcome.
    const fresh = seeded(480, 11);
    const own = allRows(fresh);
    const id = own.find((r) => r.action === "tool_call.decide")?.id as string;
    for (const got of atEveryWatermark(fresh, () => listAll(fresh, { q: id })))
      expect(got).toEqual(
        own.filter((r) => r.id === id || r.correlation_id === id).map((r) => r.seq),
      );
    const other = seeded(480, 11);
    for (const got of atEveryWatermark(other, () => listAll(other, { q: "nothing-like-this" })))
      expect(got).toEqual([]);
  });

  it("finds a row appended after the index caught up, before the next indexing", () => {
    const db = seeded(300, 3);
    catchUpIndex(db);
    const row: AuditFields = {
      id: newId("event"),
      occurredAt: NOW,
      source: "gateway",
      actorType: "agent",
      actorId: "agt_late",
      actorLabel: "late-agent",
      action: "tool_call.decide",
      server: "memory",
      tool: "create_entities",
      decision: "deny",
      reason: "Quarantined tool",
    };
    withTransaction({ db }, (tx) => appendEvents(tx, [row]));
    expect(indexProgress(db).indexedSeq).toBeLessThan(indexProgress(db).headSeq);
    const ctx = testContext(db, undefined, () => new Date(NOW));
    expect(listAuditEvents(ctx, { q: "quarantined" }).rows.map((r) => r.id)).toEqual([row.id]);
    expect(listAuditEvents(ctx, { agent: "late-agent" }).rows.map((r) => r.id)).toEqual([row.id]);
    expect(listAuditEvents(ctx, { tool: "create_entities", view: "denied" }).rows).toHaveLength(1);
  });
});

describe("dashboard stats from the rollups", () => {
  type Raw = AuditEvent;
  function truth(db: Db, minutes: number, scope: { server?: string; agent?: string }) {
    const win = statsWindow(minutes, NOW);
    const rows = (
      sqliteHandle(db)
        .prepare(
          `SELECT occurred_at AS occurredAt, action, actor_label AS actorLabel, server, tool, decision, rule,
             outcome, latency_ms AS latencyMs FROM audit_events WHERE occurred_at >= ?`,
        )
        .all(win.start * 60_000) as Raw[]
    ).filter(
      (r) =>
        (!scope.server || r.server === scope.server) &&
        (!scope.agent || r.actorLabel === scope.agent),
    );
    const decide = rows.filter((r) => r.action === "tool_call.decide");
    const refuse = rows.filter((r) => r.action === "message.refuse");
    const denials = [...decide, ...refuse].filter((r) => r.decision === "deny");
    const tally = (xs: (string | null)[]) => {
      const m: Record<string, number> = {};
      for (const x of xs) if (x !== null) m[x] = (m[x] ?? 0) + 1;
      return Object.entries(m)
        .map(([name, count]) => ({ name, count }))
        .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1))
        .slice(0, 5);
    };
    return {
      calls: decide.length,
      denied: denials.length,
      upstreamErrors: rows.filter(
        (r) =>
          r.action === "tool_call.outcome" &&
          r.outcome !== null &&
          UPSTREAM_FAILURES.has(r.outcome),
      ).length,
      callsLastMinute: decide.filter((r) => r.occurredAt >= NOW - 60_000).length,
      topDeniedTools: tally(denials.map((r) => r.tool)),
      topDeniedRules: tally(denials.map((r) => r.rule)),
      topDeniedAgents: tally(denials.map((r) => r.actorLabel)),
      seriesCalls: decide.length,
    };
  }

  it("equals the counts taken from the raw rows for 1 h, 24 h and 7 d, in every index state", () => {
    const db = seeded(480, 5);
    for (const minutes of [60, 24 * 60, 7 * 24 * 60]) {
      for (const scope of [
        {},
        { server: "github" },
        { agent: "ops" },
        { server: "memory", agent: "release-bot" },
      ]) {
        const expected = truth(db, minutes, scope);
        const fresh = seeded(480, 5);
        const ctx = testContext(fresh, undefined, () => new Date(NOW));
        for (const s of atEveryWatermark(fresh, () =>
          auditStats(ctx, { minutes, ...scope }),
        ) as ReturnType<typeof auditStats>[]) {
          const label = `${minutes} min ${JSON.stringify(scope)}`;
          expect(
            {
              calls: s.calls,
              denied: s.denied,
              upstreamErrors: s.upstreamErrors,
              callsLastMinute: s.callsLastMinute,
              topDeniedTools: s.topDeniedTools,
              topDeniedRules: s.topDeniedRules,
              topDeniedAgents: s.topDeniedAgents,
              seriesCalls: s.series.reduce((a, b) => a + b.calls, 0),
            },
            label,
          ).toEqual(expected);
        }
      }
    }
  });

  it("reads latency percentiles within 3 % of the exact ones", () => {
    const db = seeded(3000, 9);
    catchUpIndex(db, 1000);
    const lat = (
      sqliteHandle(db)
        .prepare(
          "SELECT latency_ms FROM audit_events WHERE action = 'tool_call.outcome' AND latency_ms IS NOT NULL AND occurred_at >= ?",
        )
        .pluck()
        .all(statsWindow(7 * 24 * 60, NOW).start * 60_000) as number[]
    ).sort((a, b) => a - b);
    const exact = (p: number) => lat[Math.ceil(p * lat.length) - 1] as number;
    const s = auditStats(
      testContext(db, undefined, () => new Date(NOW)),
      { minutes: 7 * 24 * 60 },
    );
    for (const [got, p] of [
      [s.latencyP50Ms, 0.5],
      [s.latencyP95Ms, 0.95],
    ] as const) {
      expect(got).not.toBeNull();
      expect(got as number).toBeLessThanOrEqual(exact(p));
      expect(got as number).toBeGreaterThanOrEqual(exact(p) * 0.97);
    }
  });
});

describe("forgetting archived rows", () => {
  it("drops their search entries and minute ranges; queries answer from the rows left", () => {
    const db = seeded(400, 13);
    catchUpIndex(db);
    const client = sqliteHandle(db);
    const entries = () =>
      client.prepare("SELECT count(*) FROM audit_search").pluck().get() as number;
    expect(entries()).toBe(400);
    // As retention does once the rows are in an archive.
    client.exec("DROP TRIGGER IF EXISTS audit_events_no_delete");
    client.prepare("DELETE FROM audit_events WHERE seq <= 150").run();
    forgetIndexedRows(db, 150);
    expect(entries()).toBe(250);
    expect(
      client.prepare("SELECT count(*) FROM audit_minutes WHERE last_seq <= 150").pluck().get(),
    ).toBe(0);
    const left = allRows(db)
      .filter((r) => r.server === "memory")
      .map((r) => r.seq);
    expect(left.length).toBeGreaterThan(0);
    expect(listAll(db, { server: "memory" })).toEqual(left);
  });
});
