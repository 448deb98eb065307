import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const APPROVAL_STATUSES = ["pending", "approved", "denied", "expired", "consumed"] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/**
 * A tools/call parked for a human. Bound to `fingerprint` (agent, server, tool, canonical
 * arguments, rule): an approval lets exactly one identical call through before `expires_at`.
 * Created by a gateway; decided in the console or the CLI; consumed by a gateway.
 */
export const approvals = sqliteTable(
  "approvals",
  {
    id: text("id").primaryKey(),
    fingerprint: text("fingerprint").notNull(),
    agentId: text("agent_id").notNull(),
    agentName: text("agent_name").notNull(),
    upstreamId: text("upstream_id").notNull(),
    server: text("server").notNull(),
    tool: text("tool").notNull(),
    arguments: text("arguments", { mode: "json" }).$type<unknown>().notNull(), // as the audit setting allows
    rule: text("rule").notNull(),
    reason: text("reason"),
    status: text("status", { enum: APPROVAL_STATUSES }).notNull(),
    decisionId: text("decision_id").notNull(), // audit row that parked the call
    requestedAt: integer("requested_at", { mode: "timestamp_ms" }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    decidedBy: text("decided_by"),
    decidedAt: integer("decided_at", { mode: "timestamp_ms" }),
    comment: text("comment"),
    consumedAt: integer("consumed_at", { mode: "timestamp_ms" }),
    consumedByDecisionId: text("consumed_by_decision_id"),
  },
  (t) => [
    index("approvals_fingerprint_idx").on(t.fingerprint, t.status), // "is this call approved?"
    index("approvals_status_idx").on(t.status, t.requestedAt), // the queue
  ],
);

export type Approval = typeof approvals.$inferSelect;
export type NewApproval = typeof approvals.$inferInsert;
