import { and, count, desc, eq, gte, type SQL, sql } from "drizzle-orm";

import { approvals, auditEvents } from "@/db/schema";
import { AuditStatsInput } from "@/lib/core/audit/inputs";
import type { AuditStats, Top } from "@/lib/core/audit/views";
import { requireViewer, type ServiceContext } from "../context";

const UPSTREAM_FAILURES = ["timeout", "upstream_error", "jsonrpc_error"];

// The unary + keeps SQLite off the action index: every query here is bounded by time, and the
// time index turns a one-hour window into a range scan instead of a walk over all decisions.
function actionIn(actions: readonly string[]): SQL {
  return sql`+${auditEvents.action} in (${sql.join(
    actions.map((a) => sql`${a}`),
    sql`, `,
  )})`;
}

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
  const DECIDE = "tool_call.decide";
  const REFUSE = "message.refuse";
  const OUTCOME = "tool_call.outcome";
  const failures = sql.join(
    UPSTREAM_FAILURES.map((f) => sql`${f}`),
    sql`, `,
  );
  const totals = ctx.db
    .select({
      calls: sql<number>`coalesce(sum(case when ${auditEvents.action} = ${DECIDE} then 1 else 0 end), 0)`,
      lastMinute: sql<number>`coalesce(sum(case when ${auditEvents.action} = ${DECIDE} and ${auditEvents.occurredAt} >= ${now - 60_000} then 1 else 0 end), 0)`,
      refused: sql<number>`coalesce(sum(case when ${auditEvents.action} = ${REFUSE} then 1 else 0 end), 0)`,
      denied: sql<number>`coalesce(sum(case when ${auditEvents.action} in (${DECIDE}, ${REFUSE}) and ${auditEvents.decision} = 'deny' then 1 else 0 end), 0)`,
      upstreamErrors: sql<number>`coalesce(sum(case when ${auditEvents.action} = ${OUTCOME} and ${auditEvents.outcome} in (${failures}) then 1 else 0 end), 0)`,
    })
    .from(auditEvents)
    .where(and(...scope, actionIn([DECIDE, REFUSE, OUTCOME])))
    .get();
  const calls = Number(totals?.calls ?? 0);
  const refused = Number(totals?.refused ?? 0);
  const denied = Number(totals?.denied ?? 0);
  const denials = and(...scope, actionIn([DECIDE, REFUSE]), sql`+${auditEvents.decision} = 'deny'`);

  const minute = sql<number>`(${auditEvents.occurredAt} / 60000)`;
  const buckets = ctx.db
    .select({
      m: minute,
      calls: sql<number>`sum(case when ${auditEvents.action} = ${DECIDE} then 1 else 0 end)`,
      denied: sql<number>`sum(case when ${auditEvents.decision} = 'deny' then 1 else 0 end)`,
    })
    .from(auditEvents)
    .where(and(...scope, actionIn([DECIDE, REFUSE])))
    .groupBy(minute)
    .all();
  const byMinute = new Map(buckets.map((b) => [Number(b.m), b]));
  const series = [];
  const first = Math.floor(since / 60_000) + 1;
  const last = Math.floor(now / 60_000);
  for (let m = first; m <= last; m++) {
    const b = byMinute.get(m);
    series.push({
      t: new Date(m * 60_000).toISOString(),
      calls: Number(b?.calls ?? 0),
      denied: Number(b?.denied ?? 0),
    });
  }

  const latencies = ctx.db
    .select({ v: auditEvents.latencyMs })
    .from(auditEvents)
    .where(and(...scope, actionIn([OUTCOME]), sql`${auditEvents.latencyMs} is not null`))
    .all()
    .map((r) => r.v ?? 0)
    .sort((a, b) => a - b);
  const percentile = (p: number): number | null => {
    if (latencies.length === 0) return null;
    return (
      latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil(p * latencies.length) - 1))] ??
      null
    );
  };

  const top = (
    column: typeof auditEvents.tool | typeof auditEvents.rule | typeof auditEvents.actorLabel,
  ): Top[] =>
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
      .where(
        and(
          eq(approvals.status, "pending"),
          sql`${approvals.expiresAt} > ${now}`,
          input.server ? eq(approvals.server, input.server) : undefined,
        ),
      )
      .get()?.n ?? 0;

  return {
    windowMinutes: input.minutes,
    callsLastMinute: Number(totals?.lastMinute ?? 0),
    calls,
    denied,
    denyRate: calls + refused > 0 ? denied / (calls + refused) : 0,
    pendingApprovals: pending,
    upstreamErrors: Number(totals?.upstreamErrors ?? 0),
    latencyP50Ms: percentile(0.5),
    latencyP95Ms: percentile(0.95),
    series,
    topDeniedTools: top(auditEvents.tool),
    topDeniedRules: top(auditEvents.rule),
    topDeniedAgents: top(auditEvents.actorLabel),
  };
}
