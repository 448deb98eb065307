-- Retention: rows older than the configured age are written to a compressed archive file with a
-- signed checkpoint at its last row, then removed. Each archive is recorded here for good.
CREATE TABLE `audit_archives` (
	`id` integer PRIMARY KEY NOT NULL,
	`from_seq` integer NOT NULL,
	`to_seq` integer NOT NULL,
	`rows` integer NOT NULL,
	`first_at` integer NOT NULL,
	`last_at` integer NOT NULL,
	`file` text NOT NULL,
	`file_sha256` text NOT NULL,
	`bytes` integer NOT NULL,
	`start_hash` text NOT NULL,
	`end_hash` text NOT NULL,
	`checkpoint_id` integer NOT NULL REFERENCES `audit_checkpoints`(`id`),
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `audit_archives_to_seq_idx` ON `audit_archives` (`to_seq`);
--> statement-breakpoint
-- Holds a row only inside the retention transaction that removes an archived range.
CREATE TABLE `audit_purge` (
	`to_seq` integer PRIMARY KEY NOT NULL
);
--> statement-breakpoint
CREATE TRIGGER audit_archives_no_update BEFORE UPDATE ON audit_archives
BEGIN SELECT RAISE(ABORT, 'audit_archives is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER audit_archives_no_delete BEFORE DELETE ON audit_archives
BEGIN SELECT RAISE(ABORT, 'audit_archives is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER audit_archives_no_replace BEFORE INSERT ON audit_archives
WHEN EXISTS (SELECT 1 FROM audit_archives WHERE id = NEW.id OR to_seq = NEW.to_seq)
BEGIN SELECT RAISE(ABORT, 'audit_archives is append-only'); END;
--> statement-breakpoint
-- A row may be deleted only while a purge names an archive that covers it and whose signed
-- checkpoint sits at the archive's last row; the head row never. Any other DELETE still fails.
DROP TRIGGER audit_events_no_delete;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN OLD.seq = (SELECT max(seq) FROM audit_events)
  OR NOT EXISTS (
    SELECT 1 FROM audit_purge p
    JOIN audit_archives a ON a.to_seq = p.to_seq
    JOIN audit_checkpoints c ON c.id = a.checkpoint_id AND c.seq = a.to_seq AND c.hash = a.end_hash
    WHERE OLD.seq BETWEEN a.from_seq AND a.to_seq
  )
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
