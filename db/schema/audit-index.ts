import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * How far the catch-up indexer has read the audit log: rows up to `indexedSeq` are in the
 * full-text index `audit_search` (an FTS5 table, created in SQL only), `audit_minutes` and
 * `audit_rollups`; queries scan the rows after it themselves.
 */
export const auditIndexState = sqliteTable("audit_index_state", {
  id: integer("id").primaryKey(),
  indexedSeq: integer("indexed_seq").notNull(),
});

/** First and last seq of the rows whose occurred_at falls in each minute: time → seq range. */
export const auditMinutes = sqliteTable("audit_minutes", {
  minute: integer("minute").primaryKey(), // epoch minutes
  firstSeq: integer("first_seq").notNull(),
  lastSeq: integer("last_seq").notNull(),
});

/**
 * Dashboard figures per time bucket (tier = minutes per bucket: 1, 60 or 1440), server and
 * agent label ('' when the row has none). The JSON columns map a name (tool, rule, latency
 * bucket) to a count.
 */
export const auditRollups = sqliteTable(
  "audit_rollups",
  {
    tier: integer("tier").notNull(),
    bucket: integer("bucket").notNull(), // epoch minutes at the bucket's start
    server: text("server").notNull(),
    agent: text("agent").notNull(),
    calls: integer("calls").notNull(),
    refused: integer("refused").notNull(),
    denied: integer("denied").notNull(),
    upstreamErrors: integer("upstream_errors").notNull(),
    deniedTools: text("denied_tools").notNull(),
    deniedRules: text("denied_rules").notNull(),
    latencies: text("latencies").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tier, t.bucket, t.server, t.agent] })],
);
