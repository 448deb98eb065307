import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * One admitted increment of a counter (rate limits, spend caps, contact-form limits). A window's
 * value is the exact decimal sum of its rows, so calendar and rolling windows share one store.
 * Written inside the IMMEDIATE transaction that records the decision; deleted by `decision_id`
 * when the upstream call failed at the protocol level, and pruned once older than any window.
 */
export const counterEvents = sqliteTable(
  "counter_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    key: text("key").notNull(),
    at: integer("at").notNull(), // epoch ms
    amount: text("amount").notNull(), // exact decimal
    decisionId: text("decision_id"),
  },
  (t) => [
    index("counter_events_key_at_amount_idx").on(t.key, t.at, t.amount), // window sums, index-only
    index("counter_events_decision_idx").on(t.decisionId), // rollback
    index("counter_events_at_idx").on(t.at), // pruning
  ],
);

export type CounterEvent = typeof counterEvents.$inferSelect;
