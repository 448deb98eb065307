import type { AuditFilter } from "@/lib/core/audit/inputs";

export const DECISION_ACTIONS = ["tool_call.decide", "message.refuse"] as const;

// Qualified: a search joins audit_search, whose columns share these names.
const E = "audit_events";

export type Clause = { sql: string; params: unknown[] };

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const LIKE_COLUMNS = ["tool", "server", "actor_label", "rule", "reason", "message", "action"].map(
  (c) => `${E}.${c}`,
);

/**
 * The exact conditions of a filter on audit_events, every value a bound parameter. Free text is
 * left out unless it must be matched here: an event id (looked up exactly) or text with no word
 * in it (a substring match over the text columns, which no index serves).
 */
export function exactClauses(
  f: AuditFilter,
  q: "id" | "like" | null,
  withArguments: boolean,
): Clause[] {
  const where: Clause[] = [];
  const eq = (column: string, value: string | undefined) => {
    if (value !== undefined) where.push({ sql: `${E}.${column} = ?`, params: [value] });
  };
  if (f.view === "decisions")
    where.push({ sql: `${E}.action IN (?, ?)`, params: [...DECISION_ACTIONS] });
  if (f.view === "denied") where.push({ sql: `${E}.decision = 'deny'`, params: [] });
  if (f.from !== undefined) where.push({ sql: `${E}.occurred_at >= ?`, params: [f.from] });
  if (f.to !== undefined) where.push({ sql: `${E}.occurred_at <= ?`, params: [f.to] });
  eq("server", f.server);
  if (f.agent)
    where.push({ sql: `(${E}.actor_id = ? OR ${E}.actor_label = ?)`, params: [f.agent, f.agent] });
  eq("tool", f.tool);
  eq("decision", f.decision);
  eq("rule", f.rule);
  eq("action", f.action);
  if (f.q && q === "id")
    where.push({ sql: `(${E}.id = ? OR ${E}.correlation_id = ?)`, params: [f.q, f.q] });
  if (f.q && q === "like") {
    const p = likePattern(f.q);
    const columns = withArguments ? [...LIKE_COLUMNS, `${E}.arguments`] : LIKE_COLUMNS;
    where.push({
      sql: `(${columns.map((c) => `${c} LIKE ? ESCAPE '\\'`).join(" OR ")})`,
      params: columns.map(() => p),
    });
  }
  return where;
}
