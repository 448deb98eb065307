import { index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

import { upstreams } from "./upstreams";

export const TOOL_STATUSES = ["new", "active", "quarantined"] as const;
export const RISK_CATEGORIES = [
  "Read",
  "Write",
  "Execute",
  "Destructive",
  "Financial",
  "Other",
] as const;
export const RISK_LEVELS = ["low", "medium", "high", "critical"] as const;

/**
 * A tool an upstream advertised in tools/list, as last seen by a gateway. `approved_hash` is
 * the pinned definition; when a later listing hashes differently the tool is quarantined and
 * the new definition waits in `pending_*` until an admin accepts it.
 */
export const tools = sqliteTable(
  "tools",
  {
    id: text("id").primaryKey(),
    upstreamId: text("upstream_id")
      .notNull()
      .references(() => upstreams.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description"),
    definition: text("definition", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    definitionHash: text("definition_hash").notNull(),
    approvedHash: text("approved_hash").notNull(),
    pendingDefinition: text("pending_definition", { mode: "json" }).$type<
      Record<string, unknown>
    >(),
    pendingHash: text("pending_hash"),
    status: text("status", { enum: TOOL_STATUSES }).notNull(),
    riskCategory: text("risk_category", { enum: RISK_CATEGORIES }).notNull(),
    riskLevel: text("risk_level", { enum: RISK_LEVELS }).notNull(),
    riskEvidence: text("risk_evidence", { mode: "json" }).$type<string[]>().notNull(),
    riskConfidence: real("risk_confidence").notNull(),
    firstSeenAt: integer("first_seen_at", { mode: "timestamp_ms" }).notNull(),
    lastSeenAt: integer("last_seen_at", { mode: "timestamp_ms" }).notNull(),
    quarantinedAt: integer("quarantined_at", { mode: "timestamp_ms" }),
  },
  (t) => [
    uniqueIndex("tools_upstream_name_idx").on(t.upstreamId, t.name), // lookup per call and per listing
    index("tools_status_idx").on(t.status), // quarantine review queue
  ],
);

export type Tool = typeof tools.$inferSelect;
export type NewTool = typeof tools.$inferInsert;
