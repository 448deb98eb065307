import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const CHECKPOINT_REASONS = ["auto", "manual", "archive"] as const;

/**
 * Signed (seq, hash) pairs of the audit chain, Ed25519 under a key kept outside the database.
 * A verifier holding only the public key can check them; a rewritten or truncated history no
 * longer reaches them. Append-only: triggers refuse UPDATE, DELETE and conflict-replace.
 */
export const auditCheckpoints = sqliteTable(
  "audit_checkpoints",
  {
    id: integer("id").primaryKey(),
    seq: integer("seq").notNull(),
    hash: text("hash").notNull(),
    signedAt: text("signed_at").notNull(), // ISO time, part of the signed message
    keyId: text("key_id").notNull(),
    signature: text("signature").notNull(), // base64
    reason: text("reason", { enum: CHECKPOINT_REASONS }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("audit_checkpoints_seq_idx").on(t.seq)],
);

export type AuditCheckpointRow = typeof auditCheckpoints.$inferSelect;

/**
 * One retention run's archive: rows from_seq..to_seq went to `file` (gzip JSON Lines) with the
 * signed checkpoint `checkpoint_id` at to_seq, then left the database. Verification of what
 * remains starts from the latest archive's end hash. Append-only.
 */
export const auditArchives = sqliteTable(
  "audit_archives",
  {
    id: integer("id").primaryKey(),
    fromSeq: integer("from_seq").notNull(),
    toSeq: integer("to_seq").notNull(),
    rows: integer("rows").notNull(),
    firstAt: integer("first_at").notNull(),
    lastAt: integer("last_at").notNull(),
    file: text("file").notNull(), // name inside the archive folder
    fileSha256: text("file_sha256").notNull(),
    bytes: integer("bytes").notNull(),
    startHash: text("start_hash").notNull(),
    endHash: text("end_hash").notNull(),
    checkpointId: integer("checkpoint_id")
      .notNull()
      .references(() => auditCheckpoints.id),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("audit_archives_to_seq_idx").on(t.toSeq)],
);

/** Holds a row only inside the transaction that removes an archived range (the DELETE guard). */
export const auditPurge = sqliteTable("audit_purge", {
  toSeq: integer("to_seq").primaryKey(),
});

export type AuditArchiveRow = typeof auditArchives.$inferSelect;
