import { and, count, desc, eq, gte, sql } from "drizzle-orm";

import { type AuditEvent, auditEvents, type Instance } from "@/db/schema";
import { requireViewer, type ServiceContext } from "../context";
import { firstSeqSince } from "../audit/seq-range";
import { listLiveInstances } from "../instances";

const DECIDE = "tool_call.decide";

export type StatusDenial = Pick<
  AuditEvent,
  "seq" | "occurredAt" | "actorLabel" | "server" | "tool" | "cause" | "rule" | "message"
>;

export type StatusReport = {
  instances: Instance[];
  /** Decisions per minute over the last five minutes. */
  callsPerMinute: number;
  /** Decisions in the last hour, and the share of them that were denials (0 when none). */
  callsLastHour: number;
  denyRate: number;
  /** The five rules (or causes, for denials no rule made) with most denials in 24 hours. */
  topDenyRules: { rule: string | null; n: number }[];
  /** The ten latest denial rows of any kind, newest first. */
  recentDenials: StatusDenial[];
};

/** What `portcullis status` shows: running processes, traffic and the latest denials. Viewer role. */
export function getStatusReport(ctx: ServiceContext): StatusReport {
  requireViewer(ctx);
  const now = ctx.now();
  // The seq bound turns each window into a primary-key range scan (audit_events has no time index).
  const since = (ms: number) =>
    and(
      gte(auditEvents.seq, firstSeqSince(ctx.db, now.getTime() - ms)),
      gte(auditEvents.occurredAt, now.getTime() - ms),
    );
  const isDecision = eq(auditEvents.action, DECIDE);
  const isDenial = eq(auditEvents.decision, "deny");

  const recent =
    ctx.db
      .select({ calls: count() })
      .from(auditEvents)
      .where(and(isDecision, since(5 * 60_000)))
      .get()?.calls ?? 0;
  const hour = ctx.db
    .select({
      calls: count(),
      denied: sql<number | null>`sum(case when ${auditEvents.decision} = 'deny' then 1 else 0 end)`,
    })
    .from(auditEvents)
    .where(and(isDecision, since(3_600_000)))
    .get();
  const rule = sql<string | null>`coalesce(${auditEvents.rule}, ${auditEvents.cause})`;
  const topDenyRules = ctx.db
    .select({ rule, n: count() })
    .from(auditEvents)
    .where(and(isDecision, isDenial, since(86_400_000)))
    .groupBy(rule)
    .orderBy(desc(count()))
    .limit(5)
    .all();
  const recentDenials = ctx.db
    .select({
      seq: auditEvents.seq,
      occurredAt: auditEvents.occurredAt,
      actorLabel: auditEvents.actorLabel,
      server: auditEvents.server,
      tool: auditEvents.tool,
      cause: auditEvents.cause,
      rule: auditEvents.rule,
      message: auditEvents.message,
    })
    .from(auditEvents)
    .where(isDenial)
    .orderBy(desc(auditEvents.seq))
    .limit(10)
    .all();

  const callsLastHour = Number(hour?.calls ?? 0);
  return {
    instances: listLiveInstances(ctx.db, now),
    callsPerMinute: Number(recent) / 5,
    callsLastHour,
    denyRate: callsLastHour ? Number(hour?.denied ?? 0) / callsLastHour : 0,
    topDenyRules,
    recentDenials,
  };
}
