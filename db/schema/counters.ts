import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * One admitted increment of a counter (rate limits, spend caps, contact-form limits). A window's
 * value is the exact decimal sum of its rows, so calendar and rolling windows share one store.
 * Written inside the IMMEDIATE transaction that records the decision, stamped with that decision
 * row's time. The table is its own index, WITHOUT ROWID and keyed by (key, at, id) (migration
 * 0017): every b-tree here is written before every forwarded call, so there is one. A rollback
 * finds a decision's rows by (key, at) and `decision_id`; pruning walks the keys. `id` tells
 * apart rows of one key stamped the same millisecond (random; see `newCounterRowId`).
 */
export const counterEvents = sqliteTable(
  "counter_events",
  {
    key: text("key").notNull(),
    at: integer("at").notNull(), // epoch ms
    id: integer("id").notNull(),
    amount: text("amount").notNull(), // exact decimal
    decisionId: text("decision_id"),
  },
  (t) => [primaryKey({ columns: [t.key, t.at, t.id] })],
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
