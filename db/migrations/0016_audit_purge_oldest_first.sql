-- Retention removes archived rows oldest first. A delete may now take only the oldest row left,
-- so even with the purge tables filled in by hand no row can be cut out of the middle of the log.
DROP TRIGGER audit_events_no_delete;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN OLD.seq = (SELECT max(seq) FROM audit_events)
  OR OLD.seq <> (SELECT min(seq) FROM audit_events)
  OR NOT EXISTS (
    SELECT 1 FROM audit_purge p
    JOIN audit_archives a ON a.to_seq = p.to_seq
    JOIN audit_checkpoints c ON c.id = a.checkpoint_id AND c.seq = a.to_seq AND c.hash = a.end_hash
    WHERE OLD.seq BETWEEN a.from_seq AND a.to_seq
  )
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
