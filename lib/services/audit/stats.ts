import { and, count, desc, eq, gte, inArray, type SQL, sql } from "drizzle-orm";

import { approvals, auditEvents } from "@/db/schema";
import { AuditStatsInput } from "@/lib/core/audit/inputs";
import type { AuditStats, Top } from "@/lib/core/audit/views";
import { requireViewer, type ServiceContext } from "../context";

const UPSTREAM_FAILURES = ["timeout", "upstream_error", "jsonrpc_error"];

/**
 * Dashboard figures over the last `minutes`: calls, denials, deny rate, calls in the last
 * minute, pending approvals, upstream failures, latency percentiles, a per-minute series and
 * the most denied tools, rules and agents. Aggregated in SQL over the time index.
 */
export function auditStats(ctx: ServiceContext, raw: AuditStatsInput = {}): AuditStats {
  requireViewer(ctx);
  const input = AuditStatsInput.parse(raw);
  const now = ctx.now().getTime();
  const since = now - input.minutes * 60_000;
  const scope: SQL[] = [gte(auditEvents.occurredAt, since)];
  if (input.server) scope.push(eq(auditEvents.server, input.server));
  if (input.agent) scope.push(eq(auditEvents.actorLabel, input.agent));
  const decisions = and(...scope, eq(auditEvents.action, "tool_call.decide"));
  const denials = and(...scope, inArray(auditEvents.action, ["tool_call.decide", "message.refuse"]), eq(auditEvents.decision, "deny"));

  const totals = ctx.db
    .select({
      calls: count(),
      lastMinute: sql<number>`coalesce(sum(case when ${auditEvents.occurredAt} >= ${now - 60_000} then 1 else 0 end), 0)`,
    })
    .from(auditEvents)
    .where(decisions)
    .get();
  const denied = ctx.db.select({ n: count() }).from(auditEvents).where(denials).get()?.n ?? 0;
  const refused =
    ctx.db.select({ n: count() }).from(auditEvents).where(and(...scope, eq(auditEvents.action, "message.refuse"))).get()?.n ?? 0;

  const minute = sql<number>`(${auditEvents.occurredAt} / 60000)`;
  const buckets = ctx.db
    .select({
      m: minute,
      calls: sql<number>`sum(case when ${auditEvents.action} = 'tool_call.decide' then 1 else 0 end)`,
      denied: sql<number>`sum(case when ${auditEvents.decision} = 'deny' then 1 else 0 end)`,
    })
    .from(auditEvents)
    .where(and(...scope, inArray(auditEvents.action, ["tool_call.decide", "message.refuse"])))
    .groupBy(minute)
    .all();
  const byMinute = new Map(buckets.map((b) => [Number(b.m), b]));
  const series = [];
  const first = Math.floor(since / 60_000) + 1;
  const last = Math.floor(now / 60_000);
  for (let m = first; m <= last; m++) {
    const b = byMinute.get(m);
    series.push({ t: new Date(m * 60_000).toISOString(), calls: Number(b?.calls ?? 0), denied: Number(b?.denied ?? 0) });
  }

  const outcomes = and(...scope, eq(auditEvents.action, "tool_call.outcome"));
  const upstreamErrors =
    ctx.db
      .select({ n: count() })
      .from(auditEvents)
      .where(and(outcomes, inArray(auditEvents.outcome, UPSTREAM_FAILURES)))
      .get()?.n ?? 0;
  const latencyCount = ctx.db.select({ n: count() }).from(auditEvents).where(and(outcomes, sql`${auditEvents.latencyMs} is not null`)).get()?.n ?? 0;
  const percentile = (p: number): number | null => {
    if (latencyCount === 0) return null;
    const offset = Math.min(latencyCount - 1, Math.max(0, Math.ceil(p * latencyCount) - 1));
    return (
      ctx.db
        .select({ v: auditEvents.latencyMs })
        .from(auditEvents)
        .where(and(outcomes, sql`${auditEvents.latencyMs} is not null`))
        .orderBy(auditEvents.latencyMs)
        .limit(1)
        .offset(offset)
        .get()?.v ?? null
    );
  };

  const top = (column: typeof auditEvents.tool | typeof auditEvents.rule | typeof auditEvents.actorLabel): Top[] =>
    ctx.db
      .select({ name: column, count: count() })
      .from(auditEvents)
      .where(and(denials, sql`${column} is not null`))
      .groupBy(column)
      .orderBy(desc(count()), column)
      .limit(5)
      .all()
      .map((r) => ({ name: r.name ?? "", count: r.count }));

  const pending =
    ctx.db
      .select({ n: count() })
      .from(approvals)
      .where(and(eq(approvals.status, "pending"), sql`${approvals.expiresAt} > ${now}`, input.server ? eq(approvals.server, input.server) : undefined))
      .get()?.n ?? 0;

  const calls = totals?.calls ?? 0;
  return {
    windowMinutes: input.minutes,
    callsLastMinute: Number(totals?.lastMinute ?? 0),
    calls,
    denied,
    denyRate: calls + refused > 0 ? denied / (calls + refused) : 0,
    pendingApprovals: pending,
    upstreamErrors,
    latencyP50Ms: percentile(0.5),
    latencyP95Ms: percentile(0.95),
    series,
    topDeniedTools: top(auditEvents.tool),
    topDeniedRules: top(auditEvents.rule),
    topDeniedAgents: top(auditEvents.actorLabel),
  };
}
