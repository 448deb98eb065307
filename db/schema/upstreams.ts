import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const TRANSPORTS = ["stdio", "http"] as const;
/** `shared`: one upstream connection serves every client session; `session`: one per session. */
export const ISOLATIONS = ["shared", "session"] as const;

/**
 * An MCP server the gateway fronts, reachable as /mcp/<name>. stdio servers are spawned with
 * an argument array (never a shell); http servers are called at `url` with `headers`.
 * Written by the console (admins only) and the seed.
 */
export const upstreams = sqliteTable("upstreams", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(), // URL segment: [a-z0-9][a-z0-9_-]*
  description: text("description"),
  transport: text("transport", { enum: TRANSPORTS }).notNull(),
  command: text("command"),
  args: text("args", { mode: "json" }).$type<string[]>().notNull().default([]),
  env: text("env", { mode: "json" }).$type<Record<string, string>>().notNull().default({}),
  cwd: text("cwd"),
  url: text("url"),
  headers: text("headers", { mode: "json" }).$type<Record<string, string>>().notNull().default({}),
  timeoutMs: integer("timeout_ms").notNull().default(60_000),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  isolation: text("isolation", { enum: ISOLATIONS }).notNull().default("shared"),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

export type Upstream = typeof upstreams.$inferSelect;
export type NewUpstream = typeof upstreams.$inferInsert;
