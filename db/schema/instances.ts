import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * A running gateway or stdio proxy, refreshed by a heartbeat; `portcullis status` lists the
 * rows whose heartbeat is recent. Each process writes only its own row.
 */
export const instances = sqliteTable("instances", {
  id: text("id").primaryKey(),
  kind: text("kind", { enum: ["gateway", "stdio"] }).notNull(),
  pid: integer("pid").notNull(),
  host: text("host").notNull(),
  server: text("server"),
  address: text("address"),
  startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
  heartbeatAt: integer("heartbeat_at", { mode: "timestamp_ms" }).notNull(),
});

export type Instance = typeof instances.$inferSelect;
