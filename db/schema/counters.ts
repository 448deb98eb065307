import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * One admitted increment of a counter (rate limits, spend caps, contact-form limits). A window's
 * value is the exact decimal sum of its rows, so calendar and rolling windows share one store.
 * Written inside the IMMEDIATE transaction that records the decision, stamped with that decision
 * row's time; deleted by (`at`, `decision_id`) when the upstream call failed at the protocol
 * level, and pruned once older than any window. Every index here is written before every
 * forwarded call, hence none on `decision_id` and no AUTOINCREMENT.
 */
export const counterEvents = sqliteTable(
  "counter_events",
  {
    id: integer("id").primaryKey(),
    key: text("key").notNull(),
    at: integer("at").notNull(), // epoch ms
    amount: text("amount").notNull(), // exact decimal
    decisionId: text("decision_id"),
  },
  (t) => [
    index("counter_events_key_at_amount_idx").on(t.key, t.at, t.amount), // window seeks, index-only
    index("counter_events_at_idx").on(t.at), // pruning, and a decision's rows for a rollback
  ],
);

/**
 * The running total of one counter key over one window shape (`rolling:<ms>` or
 * `calendar:<unit>`): `total` is the exact decimal sum of the key's `counter_events` rows with
 * `at >= from_at`. A decision moves `from_at` forward by subtracting only the rows that left the
 * window, so its cost does not grow with the traffic inside the window. Maintained by
 * lib/services/counters on every insert, rollback and prune of the key's rows.
 */
export const counterHeads = sqliteTable(
  "counter_heads",
  {
    key: text("key").notNull(),
    window: text("window").notNull(),
    fromAt: integer("from_at").notNull(), // inclusive lower bound, epoch ms
    total: text("total").notNull(), // exact decimal
  },
  (t) => [primaryKey({ columns: [t.key, t.window] })],
);

export type CounterEvent = typeof counterEvents.$inferSelect;
export type CounterHead = typeof counterHeads.$inferSelect;
