import type { Db } from "@/db/client";
import { getStatusReport } from "@/lib/services/status";
import { cliContext } from "./audit";

/** `portcullis status`: running instances, traffic and the latest denials, from the database. */
export function statusCommand(db: Db, opts: { json?: boolean }): number {
  const report = getStatusReport(cliContext(db));
  const live = report.instances.map((i) => ({
    kind: i.kind,
    pid: i.pid,
    host: i.host,
    server: i.server,
    address: i.address,
    started_at: i.startedAt.getTime(),
    heartbeat_at: i.heartbeatAt.getTime(),
  }));
  const denials = report.recentDenials.map((d) => ({
    seq: d.seq,
    occurred_at: d.occurredAt,
    actor_label: d.actorLabel,
    server: d.server,
    tool: d.tool,
    cause: d.cause,
    rule: d.rule,
    message: d.message,
  }));
  const { callsPerMinute, denyRate, topDenyRules: topRules } = report;
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
  w(`Deny rate (last hour): ${(denyRate * 100).toFixed(1)}% of ${report.callsLastHour} calls`);
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
