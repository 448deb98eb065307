import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Why a stored message is suspected spam. It is kept and shown, never dropped. */
export const SPAM_REASONS = ["too_fast"] as const;

/** A message sent through the public contact form. Written by the console's public route. */
export const contactMessages = sqliteTable(
  "contact_messages",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    email: text("email").notNull(),
    company: text("company"),
    message: text("message").notNull(),
    remoteIp: text("remote_ip"),
    userAgent: text("user_agent"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    readAt: integer("read_at", { mode: "timestamp_ms" }),
    archivedAt: integer("archived_at", { mode: "timestamp_ms" }),
    notifiedAt: integer("notified_at", { mode: "timestamp_ms" }),
    notifyError: text("notify_error"),
    spamReason: text("spam_reason", { enum: SPAM_REASONS }),
  },
  (t) => [index("contact_messages_created_idx").on(t.createdAt)], // inbox, newest first
);

export type ContactMessage = typeof contactMessages.$inferSelect;
export type NewContactMessage = typeof contactMessages.$inferInsert;
