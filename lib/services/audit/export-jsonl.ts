import type { Db, Tx } from "@/db/client";
import type { AuditFilter } from "@/lib/core/audit/inputs";
import { freshenIndex } from "./indexer";
import { matchingRowArrays } from "./matching";

/**
 * The view's keys in its order, each with the column it comes from and how it is written: as
 * a JSON value, as an ISO time, or as the stored JSON (when it is valid JSON; otherwise as a
 * string, as the view shows text that does not parse).
 */
const FIELDS = [
  ["seq", "seq", "value"],
  ["id", "id", "value"],
  ["occurredAt", "occurred_at", "time"],
  ["source", "source", "value"],
  ["actorType", "actor_type", "value"],
  ["actorId", "actor_id", "value"],
  ["actorLabel", "actor_label", "value"],
  ["action", "action", "value"],
  ["server", "server", "value"],
  ["tool", "tool", "value"],
  ["decision", "decision", "value"],
  ["cause", "cause", "value"],
  ["rule", "rule", "value"],
  ["reason", "reason", "value"],
  ["message", "message", "value"],
  ["policyVersion", "policy_version", "value"],
  ["arguments", "arguments", "json"],
  ["argumentsMasked", "0", "false"],
  ["argumentsMode", "arguments_mode", "value"],
  ["latencyMs", "latency_ms", "value"],
  ["outcome", "outcome", "value"],
  ["resultBytes", "result_bytes", "value"],
  ["correlationId", "correlation_id", "value"],
  ["targetType", "target_type", "value"],
  ["targetId", "target_id", "value"],
  ["detail", "detail", "json"],
  ["requestId", "request_id", "value"],
  ["remoteIp", "remote_ip", "value"],
  ["prevHash", "prev_hash", "value"],
  ["hash", "hash", "value"],
] as const;

const expression = (column: string, how: (typeof FIELDS)[number][2]): string => {
  const c = `audit_events.${column}`;
  switch (how) {
    case "time": // integer arithmetic: exact to the millisecond, as Date.toISOString writes it
      return `strftime('%Y-%m-%dT%H:%M:%S', ${c} / 1000, 'unixepoch') || '.' || printf('%03d', ${c} % 1000) || 'Z'`;
    case "json":
      return `CASE WHEN json_valid(${c}) THEN json(${c}) ELSE ${c} END`;
    case "false":
      return "json('false')";
    default:
      return c;
  }
};

/**
 * The whole line built by SQLite in one json_object call, keys in the view's order: one string
 * per row reaches JavaScript instead of thirty values.
 */
const SELECT = `seq, json_object(${FIELDS.map(([key, column, how]) => `'${key}', ${expression(column, how)}`).join(", ")})`;

const BATCH = 5000;

/**
 * JSONL lines of the rows matching a filter, each the JSON of the row's view for an editor or
 * admin (arguments and details unmasked), built from arrays without a view object per row.
 */
export function* jsonlLines(db: Db | Tx, filter: AuditFilter, newest: boolean): Generator<string> {
  freshenIndex(db);
  let cursor: number | undefined;
  for (;;) {
    const rows = matchingRowArrays(
      db,
      { filter, newest, cursor, limit: BATCH, fresh: true, searchArguments: true },
      SELECT,
    );
    for (const r of rows) yield `${r[1] as string}\n`;
    if (rows.length < BATCH) return;
    cursor = rows.at(-1)?.[0] as number;
  }
}
