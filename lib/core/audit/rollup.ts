/**
 * What one audit row adds to the dashboard figures, shared by the catch-up indexer (which folds
 * rows into stored buckets) and the stats query (which folds the rows after the indexer's
 * watermark the same way), so both halves of an answer count alike.
 */

export const DECIDE = "tool_call.decide";
export const REFUSE = "message.refuse";
export const OUTCOME = "tool_call.outcome";
export const UPSTREAM_FAILURES: ReadonlySet<string> = new Set([
  "timeout",
  "upstream_error",
  "jsonrpc_error",
]);

/** Bucket widths in minutes: per minute, per hour, per day. */
export const TIERS = [1, 60, 1440] as const;
export type Tier = (typeof TIERS)[number];

export type RollupSource = {
  occurredAt: number;
  action: string;
  actorLabel: string | null;
  server: string | null;
  tool: string | null;
  decision: string | null;
  rule: string | null;
  outcome: string | null;
  latencyMs: number | null;
};

export type Counts = Record<string, number>;

export type Rollup = {
  calls: number;
  refused: number;
  denied: number;
  upstreamErrors: number;
  deniedTools: Counts;
  deniedRules: Counts;
  latencies: Counts;
};

export const emptyRollup = (): Rollup => ({
  calls: 0,
  refused: 0,
  denied: 0,
  upstreamErrors: 0,
  deniedTools: {},
  deniedRules: {},
  latencies: {},
});

/** Whether a row changes any figure (console changes, sign-ins and the like do not). */
export function counts(row: Pick<RollupSource, "action">): boolean {
  return row.action === DECIDE || row.action === REFUSE || row.action === OUTCOME;
}

/**
 * Latency in stored buckets: exact below 100 ms, then buckets about 2 % wide (the lower bound is
 * kept), so a percentile read from them is less than 3 % below the true one.
 */
export function latencyBucket(ms: number): number {
  const v = Math.max(0, Math.floor(ms));
  if (v < 100) return v;
  let k = Math.floor(Math.log(v / 100) / Math.log(1.02));
  if (Math.floor(100 * 1.02 ** k) > v) k -= 1; // floating point landed one bucket high
  return Math.floor(100 * 1.02 ** k);
}

const add = (c: Counts, key: string, n = 1) => {
  c[key] = (c[key] ?? 0) + n;
};

/** Folds one row into a bucket's figures. */
export function addRow(into: Rollup, row: RollupSource): void {
  if (row.action === DECIDE) into.calls += 1;
  else if (row.action === REFUSE) into.refused += 1;
  if ((row.action === DECIDE || row.action === REFUSE) && row.decision === "deny") {
    into.denied += 1;
    if (row.tool !== null) add(into.deniedTools, row.tool);
    if (row.rule !== null) add(into.deniedRules, row.rule);
  }
  if (row.action === OUTCOME) {
    if (row.outcome !== null && UPSTREAM_FAILURES.has(row.outcome)) into.upstreamErrors += 1;
    if (row.latencyMs !== null) add(into.latencies, String(latencyBucket(row.latencyMs)));
  }
}

export function mergeCounts(into: Counts, from: Counts): void {
  for (const k in from) add(into, k, from[k] ?? 0);
}

export function mergeRollup(into: Rollup, from: Rollup): void {
  into.calls += from.calls;
  into.refused += from.refused;
  into.denied += from.denied;
  into.upstreamErrors += from.upstreamErrors;
  mergeCounts(into.deniedTools, from.deniedTools);
  mergeCounts(into.deniedRules, from.deniedRules);
  mergeCounts(into.latencies, from.latencies);
}

/** The p-th percentile (nearest rank) of a latency histogram, or null when it is empty. */
export function percentileOf(latencies: Counts, p: number): number | null {
  const keys = Object.keys(latencies)
    .map(Number)
    .sort((a, b) => a - b);
  let total = 0;
  for (const k of keys) total += latencies[k] ?? 0;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const k of keys) {
    seen += latencies[k] ?? 0;
    if (seen >= rank) return k;
  }
  return keys.at(-1) ?? null;
}

export const epochMinute = (ms: number): number => Math.floor(ms / 60_000);

export type StatsWindow = {
  /** Bucket width of the totals, top lists and latency (minutes). */
  unit: Tier;
  /** Bucket width of the chart series (minutes). */
  seriesUnit: Tier;
  /** First bucket of the window (epoch minutes); the window runs from it to now. */
  start: number;
  /** Start of the bucket holding now. */
  current: number;
};

/**
 * The window of the last `minutes`, in whole buckets ending with the current one: per minute up
 * to 6 h (a per-minute chart), per hour up to 2 days, per day beyond (charts per hour).
 */
export function statsWindow(minutes: number, now: number): StatsWindow {
  const unit: Tier = minutes <= 360 ? 1 : minutes <= 2880 ? 60 : 1440;
  const seriesUnit: Tier = unit === 1 ? 1 : 60;
  const nowMinute = epochMinute(now);
  const current = Math.floor(nowMinute / unit) * unit;
  // Per minute: the last `minutes` whole minutes, the current one included. Coarser: from the
  // bucket holding now − minutes, so the whole window is covered (up to one bucket more).
  const start =
    unit === 1 ? current - (minutes - 1) : Math.floor((nowMinute - minutes) / unit) * unit;
  return { unit, seriesUnit, start, current };
}
