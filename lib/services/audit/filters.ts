import { and, eq, gte, inArray, lte, or, type SQL, sql } from "drizzle-orm";

import { auditEvents } from "@/db/schema";
import type { AuditFilter } from "@/lib/core/audit/inputs";

export const DECISION_ACTIONS = ["tool_call.decide", "message.refuse"] as const;

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** WHERE clauses for a filter; every value is a bound parameter. */
export function filterClauses(f: AuditFilter): SQL[] {
  const where: SQL[] = [];
  if (f.view === "decisions") where.push(inArray(auditEvents.action, [...DECISION_ACTIONS]));
  if (f.view === "denied") where.push(eq(auditEvents.decision, "deny"));
  if (f.from !== undefined) where.push(gte(auditEvents.occurredAt, f.from));
  if (f.to !== undefined) where.push(lte(auditEvents.occurredAt, f.to));
  if (f.server) where.push(eq(auditEvents.server, f.server));
  if (f.agent) {
    const agentMatch = or(eq(auditEvents.actorId, f.agent), eq(auditEvents.actorLabel, f.agent));
    if (agentMatch) where.push(agentMatch);
  }
  if (f.tool) where.push(eq(auditEvents.tool, f.tool));
  if (f.decision) where.push(eq(auditEvents.decision, f.decision));
  if (f.rule) where.push(eq(auditEvents.rule, f.rule));
  if (f.action) where.push(eq(auditEvents.action, f.action));
  if (f.q) {
    const p = likePattern(f.q);
    where.push(
      sql`(${auditEvents.id} = ${f.q} OR ${auditEvents.correlationId} = ${f.q}
        OR ${auditEvents.tool} LIKE ${p} ESCAPE '\\' OR ${auditEvents.server} LIKE ${p} ESCAPE '\\'
        OR ${auditEvents.actorLabel} LIKE ${p} ESCAPE '\\' OR ${auditEvents.rule} LIKE ${p} ESCAPE '\\'
        OR ${auditEvents.reason} LIKE ${p} ESCAPE '\\' OR ${auditEvents.message} LIKE ${p} ESCAPE '\\'
        OR ${auditEvents.action} LIKE ${p} ESCAPE '\\' OR ${auditEvents.arguments} LIKE ${p} ESCAPE '\\')`,
    );
  }
  return where;
}

export const whereOf = (clauses: SQL[]) => (clauses.length ? and(...clauses) : undefined);
