-- Fewer pages written by the commit before every forwarded call: no AUTOINCREMENT (it rewrote
-- sqlite_sequence on every reservation; nothing refers to these ids) and no index on decision_id.
-- A rollback finds a decision's reservations by their time, which is its decision row's time,
-- through the index on `at` that pruning already needs.
CREATE TABLE `counter_events_lean` (
	`id` integer PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`at` integer NOT NULL,
	`amount` text NOT NULL,
	`decision_id` text
);
--> statement-breakpoint
INSERT INTO `counter_events_lean` (`id`, `key`, `at`, `amount`, `decision_id`)
SELECT `id`, `key`, `at`, `amount`, `decision_id` FROM `counter_events`;
--> statement-breakpoint
DROP TABLE `counter_events`;
--> statement-breakpoint
ALTER TABLE `counter_events_lean` RENAME TO `counter_events`;
--> statement-breakpoint
CREATE INDEX `counter_events_key_at_amount_idx` ON `counter_events` (`key`,`at`,`amount`);
--> statement-breakpoint
CREATE INDEX `counter_events_at_idx` ON `counter_events` (`at`);
