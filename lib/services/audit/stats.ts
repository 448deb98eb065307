import { sqliteHandle } from "@/db/client";
import { AuditStatsInput } from "@/lib/core/audit/inputs";
import {
  addRow,
  type Counts,
  DECIDE,
  counts,
  emptyRollup,
  epochMinute,
  mergeCounts,
  mergeRollup,
  percentileOf,
  type Rollup,
  type RollupSource,
  statsWindow,
} from "@/lib/core/audit/rollup";
import type { AuditStats, Bucket, Top } from "@/lib/core/audit/views";
import { requireViewer, type ServiceContext } from "../context";
import { freshenIndex, indexProgress } from "./indexer";
import { firstSeqSince } from "./seq-range";

type StoredRow = {
  bucket: number;
  agent: string;
  calls: number;
  refused: number;
  denied: number;
  upstreamErrors: number;
  deniedTools: string;
  deniedRules: string;
  latencies: string;
};

function top(c: Counts): Top[] {
  return Object.entries(c)
    .map(([name, count]) => ({ name, count }))
    .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, 5);
}

/**
 * Dashboard figures over the last `minutes` in whole buckets ending now (see `statsWindow`):
 * calls, denials, deny rate, calls in the last 60 s, pending approvals, upstream
 * failures, latency percentiles, a chart series and the most denied tools, rules and agents.
 * Read from the rollups the indexer keeps for rows up to its watermark, plus the rows after it
 * folded the same way, in one snapshot: exact and current at any size of log.
 */
export function auditStats(ctx: ServiceContext, raw: AuditStatsInput = {}): AuditStats {
  requireViewer(ctx);
  const input = AuditStatsInput.parse(raw);
  const now = ctx.now().getTime();
  const win = statsWindow(input.minutes, now);
  freshenIndex(ctx.db);
  const client = sqliteHandle(ctx.db);
  const scope: string[] = [];
  const scopeParams: string[] = [];
  if (input.server) {
    scope.push("server = ?");
    scopeParams.push(input.server);
  }
  if (input.agent) {
    scope.push("agent = ?");
    scopeParams.push(input.agent);
  }
  const scoped = scope.map((s) => ` AND ${s}`).join("");

  const read = client.transaction(() => {
    const mark = indexProgress(ctx.db).indexedSeq;
    const stored = client
      .prepare(
        `SELECT bucket, agent, calls, refused, denied, upstream_errors AS upstreamErrors,
           denied_tools AS deniedTools, denied_rules AS deniedRules, latencies
         FROM audit_rollups WHERE tier = ? AND bucket >= ?${scoped}`,
      )
      .all(win.unit, win.start, ...scopeParams) as StoredRow[];
    const series = client
      .prepare(
        `SELECT bucket, sum(calls) AS calls, sum(denied) AS denied FROM audit_rollups
         WHERE tier = ? AND bucket >= ?${scoped} GROUP BY bucket`,
      )
      .all(win.seriesUnit, win.start, ...scopeParams) as {
      bucket: number;
      calls: number;
      denied: number;
    }[];
    // The last 60 s exactly: a short seq range, read directly.
    const since = now - 60_000;
    const from = firstSeqSince(ctx.db, since);
    const minute = client
      .prepare(
        `SELECT count(*) FROM audit_events WHERE seq >= ? AND action = '${DECIDE}'
         AND occurred_at >= ?${scope.map((s) => ` AND ${s.replace("agent", "actor_label")}`).join("")}`,
      )
      .pluck()
      .get(from, since, ...scopeParams) as number;
    const tail = client
      .prepare(
        `SELECT occurred_at AS occurredAt, action, actor_label AS actorLabel, server, tool, decision,
           rule, outcome, latency_ms AS latencyMs FROM audit_events
         WHERE seq > ? AND occurred_at >= ?`,
      )
      .all(mark, win.start * 60_000) as RollupSource[];
    const pending = client
      .prepare(
        `SELECT count(*) FROM approvals WHERE status = 'pending' AND expires_at > ?${
          input.server ? " AND server = ?" : ""
        }`,
      )
      .pluck()
      .get(now, ...(input.server ? [input.server] : [])) as number;
    return { stored, series, minute, tail, pending };
  });
  const { stored, series, minute, tail, pending } = read();

  const total: Rollup = emptyRollup();
  // Denials per agent come from the rollups' agent key (rows without a label are not ranked).
  const deniedAgents: Counts = {};
  for (const r of stored) {
    if (r.agent !== "" && r.denied > 0)
      deniedAgents[r.agent] = (deniedAgents[r.agent] ?? 0) + r.denied;
    total.calls += r.calls;
    total.refused += r.refused;
    total.denied += r.denied;
    total.upstreamErrors += r.upstreamErrors;
    mergeCounts(total.deniedTools, JSON.parse(r.deniedTools) as Counts);
    mergeCounts(total.deniedRules, JSON.parse(r.deniedRules) as Counts);
    mergeCounts(total.latencies, JSON.parse(r.latencies) as Counts);
  }
  const byBucket = new Map<number, { calls: number; denied: number }>();
  for (const s of series) byBucket.set(s.bucket, { calls: s.calls, denied: s.denied });
  const callsLastMinute = minute;
  for (const row of tail) {
    if (!counts(row)) continue;
    if (
      (input.server && row.server !== input.server) ||
      (input.agent && row.actorLabel !== input.agent)
    )
      continue;
    const one = emptyRollup();
    addRow(one, row);
    mergeRollup(total, one);
    if (one.denied && row.actorLabel !== null)
      deniedAgents[row.actorLabel] = (deniedAgents[row.actorLabel] ?? 0) + 1;
    const m = epochMinute(row.occurredAt);
    const b = Math.floor(m / win.seriesUnit) * win.seriesUnit;
    const at = byBucket.get(b) ?? { calls: 0, denied: 0 };
    at.calls += one.calls;
    at.denied += one.denied;
    byBucket.set(b, at);
  }
  const points: Bucket[] = [];
  const lastBucket = Math.floor(epochMinute(now) / win.seriesUnit) * win.seriesUnit;
  for (let b = win.start; b <= lastBucket; b += win.seriesUnit) {
    const at = byBucket.get(b);
    points.push({
      t: new Date(b * 60_000).toISOString(),
      calls: at?.calls ?? 0,
      denied: at?.denied ?? 0,
    });
  }

  return {
    windowMinutes: input.minutes,
    callsLastMinute,
    calls: total.calls,
    denied: total.denied,
    denyRate: total.calls + total.refused > 0 ? total.denied / (total.calls + total.refused) : 0,
    pendingApprovals: pending,
    upstreamErrors: total.upstreamErrors,
    latencyP50Ms: percentileOf(total.latencies, 0.5),
    latencyP95Ms: percentileOf(total.latencies, 0.95),
    series: points,
    topDeniedTools: top(total.deniedTools),
    topDeniedRules: top(total.deniedRules),
    topDeniedAgents: top(deniedAgents),
  };
}
