CREATE TABLE `counter_heads` (
	`key` text NOT NULL,
	`window` text NOT NULL,
	`from_at` integer NOT NULL,
	`total` text NOT NULL,
	PRIMARY KEY(`key`, `window`)
);
