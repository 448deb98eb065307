DROP INDEX `counter_events_key_at_idx`;--> statement-breakpoint
CREATE INDEX `counter_events_key_at_amount_idx` ON `counter_events` (`key`,`at`,`amount`);