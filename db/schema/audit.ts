import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const AUDIT_SOURCES = ["console", "gateway", "stdio", "cli", "system"] as const;
export const ACTOR_TYPES = ["user", "agent", "system", "anonymous"] as const;

/**
 * Append-only history: every tool-call decision and outcome, every refused or malformed
 * message, every console change, approval, sign-in and contact message. Written by every
 * process inside the transaction of the act it records.
 *
 * No foreign keys: rows outlive what they mention. Triggers refuse UPDATE and DELETE.
 * `hash` = SHA-256 over `prev_hash`, `seq` and the canonical JSON of the other columns, so
 * edits, deletions, insertions and reorderings break the chain.
 */
export const auditEvents = sqliteTable(
  "audit_events",
  {
    seq: integer("seq").primaryKey(),
    id: text("id").notNull().unique(), // evt_…; returned to agents as the decision id
    occurredAt: integer("occurred_at").notNull(), // epoch ms
    source: text("source", { enum: AUDIT_SOURCES }).notNull(),
    actorType: text("actor_type", { enum: ACTOR_TYPES }).notNull(),
    actorId: text("actor_id"),
    actorLabel: text("actor_label"), // name at the time; people and agents get renamed
    action: text("action").notNull(), // entity.verb, e.g. tool_call.decide, policy.update
    server: text("server"),
    tool: text("tool"),
    decision: text("decision"), // allow | deny | approval_required (tool_call.decide rows)
    cause: text("cause"), // why a denial happened: rule, rate_limit, hidden, malformed, …
    rule: text("rule"),
    reason: text("reason"),
    message: text("message"), // what the agent was told
    policyVersion: text("policy_version"),
    arguments: text("arguments"), // JSON text as the server's audit setting allows
    argumentsMode: text("arguments_mode"), // full | redacted | hash
    latencyMs: integer("latency_ms"),
    outcome: text("outcome"), // success | is_error | jsonrpc_error | timeout | …
    resultBytes: integer("result_bytes"),
    correlationId: text("correlation_id"), // an outcome row names its decision row here
    targetType: text("target_type"),
    targetId: text("target_id"),
    detail: text("detail"), // JSON text: before/after for console changes, extra facts
    requestId: text("request_id"),
    remoteIp: text("remote_ip"),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  // Only what a lookup by id needs and the outcome of a decision: every index here is paid on
  // every tool call. Time, server, agent, tool, rule, action and decision filters go through
  // the search index and the per-minute seq map (audit-index.ts), maintained off that path.
  // Partial: a decision row names no other row, so its commit does not touch this index.
  (t) => [
    index("audit_events_correlation_idx")
      .on(t.correlationId)
      .where(sql`${t.correlationId} IS NOT NULL`), // outcome of a decision
  ],
);

export type AuditEvent = typeof auditEvents.$inferSelect;
export type NewAuditEvent = typeof auditEvents.$inferInsert;
