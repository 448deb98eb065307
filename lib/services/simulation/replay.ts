import { and, asc, desc, eq, gt } from "drizzle-orm";

import type { Db, Tx } from "@/db/client";
import { auditEvents, grants as grantsTable } from "@/db/schema";
import { redactForViewer } from "@/lib/core/audit/redact";
import { evaluate, type Grant } from "@/lib/core/policy";
import {
  decisionRestsOnGaps,
  rulesReadingGaps,
  storedArgumentGaps,
} from "@/lib/core/policy/argument-gaps";
import { ReplayInput } from "@/lib/core/simulation/inputs";
import type {
  ReplayChangeView,
  ReplayProgress,
  ReplayReport,
  ReplayUnevaluatedView,
  SimulatedDecision,
} from "@/lib/core/simulation/views";
import { roleOf } from "../audit/views";
import { toEngineGrant } from "../gateway/loaders";
import { requireEditor, requireViewer, type ServiceContext } from "../context";
import { type SimulationBase, simulationBase, toolDefinitionOf } from "./context";
import { MemoryCounters } from "./memory-counters";
import { decisionLabel } from "./simulate";

const PAGE = 5_000;
const LIST_CAP = 200;
/** Rows the policy did not decide: re-deciding them against a draft means nothing. */
const NOT_POLICY = new Set(["quarantined", "continuation"]);

type Row = {
  seq: number;
  id: string;
  occurredAt: number;
  actorId: string | null;
  actorLabel: string | null;
  tool: string | null;
  decision: string | null;
  cause: string | null;
  rule: string | null;
  arguments: string | null;
  argumentsMode: string | null;
};

type TimedGrant = Grant & { createdAt: number; revokedAt: number | null };

function readPage(db: Db | Tx, server: string, afterSeq: number, size: number): Row[] {
  return db
    .select({
      seq: auditEvents.seq,
      id: auditEvents.id,
      occurredAt: auditEvents.occurredAt,
      actorId: auditEvents.actorId,
      actorLabel: auditEvents.actorLabel,
      tool: auditEvents.tool,
      decision: auditEvents.decision,
      cause: auditEvents.cause,
      rule: auditEvents.rule,
      arguments: auditEvents.arguments,
      argumentsMode: auditEvents.argumentsMode,
    })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.server, server),
        eq(auditEvents.action, "tool_call.decide"),
        gt(auditEvents.seq, afterSeq),
      ),
    )
    .orderBy(asc(auditEvents.seq))
    .limit(size)
    .all();
}

/** The lowest seq of the last `limit` decisions of the server, and how many there are. */
function replayRange(db: Db | Tx, server: string, limit: number): { from: number; total: number } {
  const where = and(eq(auditEvents.server, server), eq(auditEvents.action, "tool_call.decide"));
  const newest = db
    .select({ seq: auditEvents.seq })
    .from(auditEvents)
    .where(where)
    .orderBy(desc(auditEvents.seq))
    .limit(limit)
    .all();
  const oldest = newest[newest.length - 1];
  if (!oldest) return { from: 0, total: 0 };
  return { from: oldest.seq, total: newest.length };
}

/** Every grant the server ever had, by agent, with when it was in force. */
function grantHistory(db: Db | Tx, upstreamId: string): Map<string, TimedGrant[]> {
  const out = new Map<string, TimedGrant[]>();
  for (const g of db
    .select()
    .from(grantsTable)
    .where(eq(grantsTable.upstreamId, upstreamId))
    .all()) {
    const list = out.get(g.agentId) ?? [];
    list.push({
      ...toEngineGrant(g),
      createdAt: g.createdAt.getTime(),
      revokedAt: g.revokedAt?.getTime() ?? null,
    });
    out.set(g.agentId, list);
  }
  return out;
}

function parseStored(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/**
 * Replays the server's last `limit` audited tools/call decisions (oldest first) against a
 * draft, or the policy in force when no draft is given: the arguments as the audit log kept
 * them, the agent's grants as they stood at the call's time, the draft's own counters as it
 * would have admitted the calls (starting at zero at the first replayed call). Reads only.
 *
 * Returns an iterator: it yields progress after every page and returns the report, so a
 * caller can stream progress for 100,000 calls. Validation and authorization happen before
 * the iterator is returned. Viewers get the listed calls' arguments masked.
 */
export function startReplay(
  ctx: ServiceContext,
  raw: ReplayInput,
): Generator<ReplayProgress, ReplayReport, void> {
  requireViewer(ctx);
  const input = ReplayInput.parse(raw);
  // A draft is a question about the stored arguments: a viewer, who sees them masked, could ask
  // "does this value match ^sk_a" one character at a time. Viewers replay saved policies only.
  if (input.draft != null) requireEditor(ctx);
  const base = simulationBase(ctx.db, input.upstreamId, input.draft);
  return run(ctx, base, input.limit);
}

function* run(
  ctx: ServiceContext,
  base: SimulationBase,
  limit: number,
): Generator<ReplayProgress, ReplayReport, void> {
  const started = performance.now();
  const mask = roleOf(ctx) === "viewer";
  const server = base.upstream.name;
  const { from, total } = replayRange(ctx.db, server, limit);
  const history = grantHistory(ctx.db, base.upstream.id);
  const counters = new MemoryCounters();
  const transitions = new Map<string, number>();
  const blockedRules = new Map<string, number>();
  const changes: ReplayChangeView[] = [];
  const unevaluatedCalls: ReplayUnevaluatedView[] = [];
  let done = 0;
  let unchanged = 0;
  let changed = 0;
  let unevaluated = 0;
  let skipped = 0;
  let first: number | null = null;
  let last: number | null = null;
  let after = from - 1;

  yield { type: "progress", done: 0, total };
  while (done < total) {
    const rows = readPage(ctx.db, server, after, Math.min(PAGE, total - done));
    if (rows.length === 0) break;
    for (const row of rows) {
      after = row.seq;
      done += 1;
      first ??= row.occurredAt;
      last = row.occurredAt;
      if (!row.tool || !row.decision || (row.cause && NOT_POLICY.has(row.cause))) {
        skipped += 1;
        continue;
      }
      const agentId = row.actorId ?? "anonymous";
      const stored = parseStored(row.arguments);
      const { args, gaps } = storedArgumentGaps(stored, row.argumentsMode);
      const at = row.occurredAt;
      const grants = (history.get(agentId) ?? []).filter(
        (g) => g.createdAt <= at && (g.revokedAt === null || g.revokedAt > at),
      );
      const d = evaluate(base.policy.snapshot, {
        server,
        tool: row.tool,
        arguments: args ?? {},
        agentId,
        toolDefinition: toolDefinitionOf(base.tools, row.tool),
        grants,
        counters: counters.reader,
        now: at,
        approved: row.cause === "approved",
      });
      if (d.kind === "allow") counters.record(d.reservations, at);
      const blocked = rulesReadingGaps(base.policy.snapshot, row.tool, gaps);
      if (decisionRestsOnGaps(base.policy.snapshot, row.tool, d, blocked)) {
        unevaluated += 1;
        for (const r of blocked) bump(blockedRules, r);
        if (unevaluatedCalls.length < LIST_CAP)
          unevaluatedCalls.push({
            eventId: row.id,
            occurredAt: new Date(at).toISOString(),
            agent: row.actorLabel,
            tool: row.tool,
            before: { decision: row.decision, rule: row.rule },
            rules: blocked,
          });
        continue;
      }
      const label: SimulatedDecision = decisionLabel(d);
      if (label === row.decision) {
        unchanged += 1;
        continue;
      }
      changed += 1;
      bump(transitions, JSON.stringify([row.decision, label, d.rule ?? row.rule]));
      if (changes.length < LIST_CAP)
        changes.push({
          eventId: row.id,
          occurredAt: new Date(at).toISOString(),
          agent: row.actorLabel,
          tool: row.tool,
          before: { decision: row.decision, rule: row.rule, cause: row.cause },
          after: { decision: label, rule: d.rule, cause: d.kind === "deny" ? d.cause : null },
          arguments: mask && stored !== null ? redactForViewer(stored) : stored,
          argumentsMasked: mask && stored !== null,
        });
    }
    yield { type: "progress", done, total };
  }

  return {
    server,
    policy: {
      label: base.policy.label,
      version: base.policy.version,
      draft: base.policy.label === "draft",
    },
    requested: limit,
    replayed: done,
    unchanged,
    changed,
    unevaluated,
    skipped,
    transitions: [...transitions]
      .map(([k, count]) => {
        const [before, after, rule] = JSON.parse(k) as [string, SimulatedDecision, string | null];
        return { before, after, rule, count };
      })
      .sort((a, b) => b.count - a.count),
    unevaluatedRules: [...blockedRules]
      .map(([rule, count]) => ({ rule, count }))
      .sort((a, b) => b.count - a.count),
    changes,
    unevaluatedCalls,
    listCap: LIST_CAP,
    from: first === null ? null : new Date(first).toISOString(),
    to: last === null ? null : new Date(last).toISOString(),
    elapsedMs: Math.round(performance.now() - started),
  };
}

/** Runs a replay to the end; for callers that do not stream progress. */
export function replayCalls(ctx: ServiceContext, raw: ReplayInput): ReplayReport {
  const it = startReplay(ctx, raw);
  for (;;) {
    const step = it.next();
    if (step.done) return step.value;
  }
}
