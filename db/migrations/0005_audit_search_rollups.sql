-- Console queries over a large audit log, maintained off the decision path: a catch-up indexer
-- reads rows after `audit_index_state.indexed_seq` and fills the full-text index, the per-minute
-- seq map and the rollups; queries combine them with a scan of the rows after the watermark.
-- Nothing here fires on an audit insert.
CREATE VIRTUAL TABLE `audit_search` USING fts5(
	`action`, `actor`, `server`, `tool`, `decision`, `rule`, `text`, `arguments`,
	content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TABLE `audit_index_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`indexed_seq` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `audit_index_state` (`id`, `indexed_seq`) VALUES (1, 0);
--> statement-breakpoint
CREATE TABLE `audit_minutes` (
	`minute` integer PRIMARY KEY NOT NULL,
	`first_seq` integer NOT NULL,
	`last_seq` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_minutes_last_seq_idx` ON `audit_minutes` (`last_seq`);
--> statement-breakpoint
CREATE TABLE `audit_rollups` (
	`tier` integer NOT NULL,
	`bucket` integer NOT NULL,
	`server` text NOT NULL,
	`agent` text NOT NULL,
	`calls` integer NOT NULL,
	`refused` integer NOT NULL,
	`denied` integer NOT NULL,
	`upstream_errors` integer NOT NULL,
	`denied_tools` text NOT NULL,
	`denied_rules` text NOT NULL,
	`latencies` text NOT NULL,
	PRIMARY KEY (`tier`, `bucket`, `server`, `agent`)
) WITHOUT ROWID;
--> statement-breakpoint
-- Time ranges now resolve to seq ranges through audit_minutes, and server, agent, tool, rule,
-- action and decision filters go through audit_search: these indexes only cost every insert.
DROP INDEX `audit_events_time_idx`;
--> statement-breakpoint
DROP INDEX `audit_events_action_idx`;
--> statement-breakpoint
DROP INDEX `audit_events_decision_idx`;
--> statement-breakpoint
DROP INDEX `audit_events_server_idx`;
--> statement-breakpoint
DROP INDEX `audit_events_actor_idx`;
