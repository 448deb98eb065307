-- Only rows that name another row (outcomes, approvals, a continuation's decision) are indexed by
-- correlation_id: a decision row leaves the index alone, so the commit before every forwarded
-- call writes one page fewer. Lookups by correlation_id (always an equality) still use it.
DROP INDEX `audit_events_correlation_idx`;
--> statement-breakpoint
CREATE INDEX `audit_events_correlation_idx` ON `audit_events` (`correlation_id`) WHERE `correlation_id` IS NOT NULL;
