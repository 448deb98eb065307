-- Signed checkpoints of the audit chain: (seq, hash) pairs signed with the Ed25519 key kept
-- beside the database, never in it. Append-only like the log they vouch for.
CREATE TABLE `audit_checkpoints` (
	`id` integer PRIMARY KEY NOT NULL,
	`seq` integer NOT NULL,
	`hash` text NOT NULL,
	`signed_at` text NOT NULL,
	`key_id` text NOT NULL,
	`signature` text NOT NULL,
	`reason` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_checkpoints_seq_idx` ON `audit_checkpoints` (`seq`);
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_replace BEFORE INSERT ON audit_checkpoints
WHEN EXISTS (SELECT 1 FROM audit_checkpoints WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
--> statement-breakpoint
-- INSERT OR REPLACE, REPLACE INTO and UPSERT resolve a conflict by deleting or updating the old
-- row without firing the DELETE trigger (unless a connection turned recursive_triggers on), so
-- an insert is refused before conflict resolution whenever it would touch an existing row. New
-- rows only go on the end: a seq at or below the head would rewrite or reorder history.
CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events
WHEN NEW.seq <= (SELECT coalesce(max(seq), 0) FROM audit_events)
  OR EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER policy_versions_no_replace BEFORE INSERT ON policy_versions
WHEN EXISTS (
  SELECT 1 FROM policy_versions
  WHERE id = NEW.id OR (policy_id = NEW.policy_id AND version = NEW.version)
)
BEGIN SELECT RAISE(ABORT, 'policy_versions are immutable'); END;
