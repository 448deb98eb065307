import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

import { users } from "./users";

/**
 * Sign-in backoff: one row per account (`account:<email>`) or address (`address:<ip>`) with
 * recent failures. The delay before the next attempt is derived from `failures` and
 * `last_failure_at`; rows whose failures have decayed are deleted.
 */
export const signInThrottle = sqliteTable(
  "sign_in_throttle",
  {
    key: text("key").primaryKey(),
    failures: integer("failures").notNull(),
    lastFailureAt: integer("last_failure_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("sign_in_throttle_last_idx").on(t.lastFailureAt)], // pruning decayed rows
);

/** Single-use two-factor recovery codes, stored as argon2id hashes. */
export const recoveryCodes = sqliteTable(
  "recovery_codes",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("recovery_codes_user_idx").on(t.userId)],
);

/**
 * A password that was right for a user with two-factor enabled: the browser holds a random
 * token (only its SHA-256 is stored) and trades it with a code for a session.
 */
export const signInChallenges = sqliteTable("sign_in_challenges", {
  id: text("id").primaryKey(),
  tokenHash: text("token_hash").notNull().unique(),
  userId: text("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  attempts: integer("attempts").notNull().default(0),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
});

/** Console-wide sign-in settings: exactly one row (id 1), created by the migration. */
export const authSettings = sqliteTable("auth_settings", {
  id: integer("id").primaryKey(),
  mfaRequired: integer("mfa_required", { mode: "boolean" }).notNull().default(false),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }),
});

/** Contact-form tokens already used, kept until they would have expired anyway. */
export const contactFormTokens = sqliteTable(
  "contact_form_tokens",
  {
    nonce: text("nonce").primaryKey(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("contact_form_tokens_expires_idx").on(t.expiresAt)],
);

export type SignInChallenge = typeof signInChallenges.$inferSelect;
