-- A reservation is one b-tree insert instead of three: counter_events is keyed by (key, at, id)
-- WITHOUT ROWID, with no rowid table and no index on `at` beside it, so the commit before every
-- forwarded call writes about two pages fewer. A rollback finds a decision's rows by its keys
-- (the process that reserved them knows them) and pruning walks the keys. `id` only tells apart
-- rows of one key stamped the same millisecond: the old rowid for the rows kept here, a random
-- integer for new ones.
CREATE TABLE `counter_events_keyed` (
	`key` text NOT NULL,
	`at` integer NOT NULL,
	`id` integer NOT NULL,
	`amount` text NOT NULL,
	`decision_id` text,
	PRIMARY KEY (`key`, `at`, `id`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `counter_events_keyed` (`key`, `at`, `id`, `amount`, `decision_id`)
SELECT `key`, `at`, `id`, `amount`, `decision_id` FROM `counter_events`;
--> statement-breakpoint
DROP TABLE `counter_events`;
--> statement-breakpoint
ALTER TABLE `counter_events_keyed` RENAME TO `counter_events`;
