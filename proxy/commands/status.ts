import type { Db } from "@/db/client";
import { INSTANCE_STALE_MS } from "../runtime";

type Row = Record<string, unknown>;

/** `portcullis status`: running instances, traffic and the latest denials, from the database. */
export function statusCommand(db: Db, opts: { json?: boolean }): number {
  const now = Date.now();
  const q = (sql: string, ...params: unknown[]) => db.$client.prepare(sql).all(...params) as Row[];
  const one = (sql: string, ...params: unknown[]) => db.$client.prepare(sql).get(...params) as Row;
  const live = q(
    "SELECT kind, pid, host, server, address, started_at, heartbeat_at FROM instances WHERE heartbeat_at >= ? ORDER BY started_at",
    now - INSTANCE_STALE_MS,
  );
  const recent = one(
    "SELECT count(*) AS calls FROM audit_events WHERE action = 'tool_call.decide' AND occurred_at >= ?",
    now - 5 * 60_000,
  );
  const hour = one(
    "SELECT count(*) AS calls, sum(CASE WHEN decision = 'deny' THEN 1 ELSE 0 END) AS denied FROM audit_events WHERE action = 'tool_call.decide' AND occurred_at >= ?",
    now - 3_600_000,
  );
  const topRules = q(
    "SELECT coalesce(rule, cause) AS rule, count(*) AS n FROM audit_events WHERE action = 'tool_call.decide' AND decision = 'deny' AND occurred_at >= ? GROUP BY 1 ORDER BY n DESC LIMIT 5",
    now - 86_400_000,
  );
  const denials = q(
    "SELECT seq, occurred_at, actor_label, server, tool, cause, rule, message FROM audit_events WHERE decision = 'deny' ORDER BY seq DESC LIMIT 10",
  );
  const callsPerMinute = Number(recent.calls ?? 0) / 5;
  const denyRate = Number(hour.calls ?? 0) ? Number(hour.denied ?? 0) / Number(hour.calls) : 0;
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ instances: live, callsPerMinute, denyRate, topDenyRules: topRules, recentDenials: denials }, null, 2)}\n`,
    );
    return 0;
  }
  const w = (s: string) => process.stdout.write(`${s}\n`);
  w(`Instances (${live.length} running)`);
  if (live.length === 0) w("  none with a heartbeat in the last 30 s");
  for (const i of live) {
    w(
      `  ${String(i.kind).padEnd(8)} pid ${i.pid} on ${i.host}${i.address ? ` at ${i.address}` : ""}${i.server ? ` (${i.server})` : ""}, up since ${new Date(Number(i.started_at)).toISOString()}`,
    );
  }
  w("");
  w(`Calls per minute (last 5 min): ${callsPerMinute.toFixed(1)}`);
  w(`Deny rate (last hour): ${(denyRate * 100).toFixed(1)}% of ${hour.calls ?? 0} calls`);
  w("");
  w("Top deny rules (24 h)");
  if (topRules.length === 0) w("  none");
  for (const r of topRules) w(`  ${String(r.n).padStart(6)}  ${r.rule ?? "(no rule)"}`);
  w("");
  w("Recent denials");
  if (denials.length === 0) w("  none");
  for (const d of denials) {
    w(
      `  ${new Date(Number(d.occurred_at)).toISOString()}  ${d.actor_label ?? "anonymous"}  ${d.server ?? "-"}/${d.tool ?? "-"}  ${d.cause ?? ""}${d.rule ? ` (${d.rule})` : ""}  ${d.message ?? ""}`,
    );
  }
  return 0;
}
