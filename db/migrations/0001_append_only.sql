-- The audit log and policy history are append-only in the database itself, so an
-- application bug cannot rewrite them. (An attacker with the file is detected by the chain.)
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER policy_versions_no_update BEFORE UPDATE ON policy_versions
BEGIN SELECT RAISE(ABORT, 'policy_versions are immutable'); END;
--> statement-breakpoint
CREATE TRIGGER policy_versions_no_delete BEFORE DELETE ON policy_versions
BEGIN SELECT RAISE(ABORT, 'policy_versions are immutable'); END;
--> statement-breakpoint
INSERT INTO config_version (id, version, changed_at) VALUES (1, 1, CAST(strftime('%s','now') AS INTEGER) * 1000);
