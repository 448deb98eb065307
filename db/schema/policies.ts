import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

import { upstreams } from "./upstreams";

/**
 * The policy of one upstream. Its content lives in immutable versions; `active_version_id`
 * points at the one in force. Written by the console (editors and admins) and the seed.
 */
export const policies = sqliteTable("policies", {
  id: text("id").primaryKey(),
  upstreamId: text("upstream_id")
    .notNull()
    .unique()
    .references(() => upstreams.id, { onDelete: "cascade" }),
  activeVersionId: text("active_version_id"),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

/** One saved YAML document. Never updated or deleted (a trigger refuses both). */
export const policyVersions = sqliteTable(
  "policy_versions",
  {
    id: text("id").primaryKey(),
    policyId: text("policy_id")
      .notNull()
      .references(() => policies.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    yaml: text("yaml").notNull(),
    author: text("author").notNull(),
    comment: text("comment"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    uniqueIndex("policy_versions_policy_version_idx").on(t.policyId, t.version), // history, newest first
  ],
);

/**
 * Agent × upstream × tool pattern → allow or deny, with an optional per-agent limit.
 * Revoked grants stay for history. Written by the console (editors and admins).
 */
export const grants = sqliteTable(
  "grants",
  {
    id: text("id").primaryKey(),
    agentId: text("agent_id").notNull(),
    upstreamId: text("upstream_id")
      .notNull()
      .references(() => upstreams.id, { onDelete: "cascade" }),
    toolPattern: text("tool_pattern").notNull(),
    effect: text("effect", { enum: ["allow", "deny"] }).notNull(),
    rateLimitMax: integer("rate_limit_max"),
    rateLimitWindowSeconds: integer("rate_limit_window_seconds"),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }),
    reason: text("reason"),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("grants_agent_upstream_idx").on(t.agentId, t.upstreamId)], // grants for one call
);

/**
 * The bus between processes: one row, bumped in the same transaction as every change that
 * alters enforcement (policies, grants, upstreams, agents, keys, tool acceptance). Gateways
 * read it on each call and rebuild their snapshot when it moved.
 */
export const configVersion = sqliteTable("config_version", {
  id: integer("id").primaryKey(),
  version: integer("version").notNull(),
  changedAt: integer("changed_at", { mode: "timestamp_ms" }).notNull(),
});

export type Policy = typeof policies.$inferSelect;
export type PolicyVersion = typeof policyVersions.$inferSelect;
export type Grant = typeof grants.$inferSelect;
export type NewGrant = typeof grants.$inferInsert;
