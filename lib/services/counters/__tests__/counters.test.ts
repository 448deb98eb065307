import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { calendarWindow, type CounterWindow, rollingWindow } from "@/lib/core/policy";
import {
  addDecimal,
  type Decimal,
  formatDecimal,
  parseDecimal,
  ZERO,
} from "@/lib/core/policy/decimal";
import { withTransaction } from "@/lib/services/context";
import { createTestDb } from "@/lib/testing";
import {
  COUNTER_RETENTION_MS,
  counterReader,
  pruneCounterKeys,
  pruneCounters,
  readCounter,
  reserveCounters,
  rollbackReservations,
  sumCounter,
} from "../counters";

let db: Db;
beforeEach(() => {
  db = createTestDb();
});

const reserve = (key: string, amount: string, decisionId: string, at: number) =>
  withTransaction({ db }, (tx) => reserveCounters(tx, [{ key, amount }], decisionId, at));

type HeadRow = { key: string; window: string; from_at: number; total: string };
const heads = () =>
  db.$client.prepare("SELECT key, window, from_at, total FROM counter_heads").all() as HeadRow[];

/** Every head must equal the plain sum of its key's rows from its lower bound on. */
function expectHeadsExact(): void {
  for (const h of heads()) {
    const rows = db.$client
      .prepare("SELECT amount FROM counter_events WHERE key = ? AND at >= ?")
      .all(h.key, h.from_at) as { amount: string }[];
    const sum = rows.reduce((t, r) => addDecimal(t, parseDecimal(r.amount) ?? ZERO), ZERO);
    expect({ ...h, total: h.total }).toEqual({ ...h, total: formatDecimal(sum) });
  }
}

describe("counters", () => {
  it("sums exact decimals without floating point error", () => {
    const now = Date.UTC(2026, 0, 1, 12, 30);
    for (let i = 0; i < 10; i++) reserve("spend", "0.1", `evt_${i}`, now);
    reserve("spend", "12345678901234567890.05", "evt_big", now);
    expect(sumCounter(db, "spend", calendarWindow("day", now))).toBe("12345678901234567891.05");
    expect(readCounter(db, "spend", calendarWindow("day", now))).toBe("12345678901234567891.05");
  });

  it("counts increments of 1 and other amounts together, per key and window", () => {
    const now = Date.UTC(2026, 0, 1, 12, 30, 30);
    reserve("k", "1", "a", now - 10_000);
    reserve("k", "1", "b", now);
    reserve("k", "2.5", "c", now);
    reserve("other", "1", "d", now);
    reserve("k", "1", "e", Date.UTC(2026, 0, 1, 12, 29, 59));
    for (const read of [sumCounter, readCounter]) {
      expect(read(db, "k", calendarWindow("minute", now))).toBe("4.5");
      expect(read(db, "k", calendarWindow("hour", now))).toBe("5.5");
      expect(read(db, "k", rollingWindow(5_000, now))).toBe("3.5");
      expect(read(db, "missing", rollingWindow(5_000, now))).toBe("0");
    }
  });

  it("counts rows stamped after 'now' in rolling windows (never under-counts)", () => {
    const now = 1_000_000;
    reserve("k", "1", "late", now + 50);
    expect(sumCounter(db, "k", rollingWindow(60_000, now))).toBe("1");
    expect(readCounter(db, "k", rollingWindow(60_000, now))).toBe("1");
  });

  it("walks window entries oldest first, lazily, for exact retry-after", () => {
    const now = 2_000_000;
    reserve("k", "3", "x", now - 100);
    reserve("k", "1", "y", now - 300);
    reserve("k", "1", "old", now - 70_000);
    const entries = counterReader(db).entries?.("k", rollingWindow(60_000, now));
    expect([...(entries ?? [])]).toEqual([
      { at: now - 300, amount: "1" },
      { at: now - 100, amount: "3" },
    ]);
    // Stopping early releases the statement: the connection is usable again at once.
    for (const e of counterReader(db).entries?.("k", rollingWindow(60_000, now)) ?? []) {
      expect(e.at).toBe(now - 300);
      break;
    }
    reserve("k", "1", "z", now);
    expect(readCounter(db, "k", rollingWindow(60_000, now))).toBe("5");
  });

  it("rolls back by decision id and prunes rows older than the longest window", () => {
    const now = Date.now();
    reserve("k", "1", "keep", now);
    reserve("k", "1", "undo", now);
    reserve("k", "1", "old", now - 40 * 86_400_000);
    reserve("k", "1", "month", now - 30 * 86_400_000);
    expect(readCounter(db, "k", rollingWindow(60_000, now))).toBe("2");
    // The decision and its time: another decision's rows at that time, or its rows at another
    // time, are left alone.
    expect(rollbackReservations(db, "undo", now - 1)).toBe(0);
    expect(rollbackReservations(db, "undo", now)).toBe(1);
    expect(rollbackReservations(db, "undo", now)).toBe(0);
    expect(readCounter(db, "k", rollingWindow(60_000, now))).toBe("1");
    expect(pruneCounters(db, now)).toBe(1);
    // A 31-day rolling window still sees the 30-day-old row after pruning.
    expect(readCounter(db, "k", rollingWindow(31 * 86_400_000, now))).toBe("2");
    expect(COUNTER_RETENTION_MS).toBeGreaterThan(31 * 86_400_000);
    expectHeadsExact();
  });

  it("refuses a non-decimal amount", () => {
    expect(() => reserve("k", "1e3", "x", 1)).toThrow(/not a decimal/);
  });
});

describe("counter heads", () => {
  const W = 60_000;

  it("frees a rolling slot exactly when the oldest reservation leaves the window", () => {
    const t0 = 5_000_000;
    reserve("k", "1", "a", t0);
    reserve("k", "1", "b", t0 + 10_000);
    expect(readCounter(db, "k", rollingWindow(W, t0 + W - 1))).toBe("2");
    // (now - W, now]: at now = t0 + W the row stamped t0 is out, the one at t0 + 10 s is in.
    expect(readCounter(db, "k", rollingWindow(W, t0 + W))).toBe("1");
    expect(readCounter(db, "k", rollingWindow(W, t0 + W + 10_000 - 1))).toBe("1");
    expect(readCounter(db, "k", rollingWindow(W, t0 + W + 10_000))).toBe("0");
    expectHeadsExact();
  });

  it("leaves the head unwritten while nothing leaves the window, until it is half a window behind", () => {
    const t0 = 5_000_000;
    reserve("k", "1", "a", t0);
    expect(readCounter(db, "k", rollingWindow(W, t0))).toBe("1");
    const built = heads();
    expect(built).toEqual([{ key: "k", window: "rolling:60000", from_at: t0 - W + 1, total: "1" }]);
    expect(readCounter(db, "k", rollingWindow(W, t0 + W / 2 - 1))).toBe("1");
    expect(heads()).toEqual(built);
    reserve("k", "2", "b", t0 + 10);
    expect(readCounter(db, "k", rollingWindow(W, t0 + W / 2))).toBe("3");
    expect(heads()).toEqual([
      { key: "k", window: "rolling:60000", from_at: t0 + W / 2 - W + 1, total: "3" },
    ]);
    expectHeadsExact();
  });

  it("moves a long window's head within a minute, so pruning never takes a head in use", () => {
    const DAY = 86_400_000;
    const month = (now: number) => rollingWindow(31 * DAY, now);
    const t0 = 100 * DAY;
    reserve("k", "1", "a", t0);
    expect(readCounter(db, "k", month(t0))).toBe("1");
    expect(readCounter(db, "k", month(t0 + 59_999))).toBe("1");
    expect(heads()[0]?.from_at).toBe(t0 - 31 * DAY + 1);
    expect(readCounter(db, "k", month(t0 + 15 * DAY))).toBe("1");
    expect(heads()[0]?.from_at).toBe(t0 + 15 * DAY - 31 * DAY + 1);
    pruneCounters(db, t0 + 15 * DAY);
    expect(heads()).toHaveLength(1);
    expectHeadsExact();
  });

  it("refuses to add to a head whose total is not a decimal, and rolls the reservation back", () => {
    reserve("k", "1", "a", 1_000);
    expect(readCounter(db, "k", rollingWindow(W, 1_000))).toBe("1");
    db.$client.prepare("UPDATE counter_heads SET total = 'x'").run();
    expect(() => reserve("k", "1", "b", 1_001)).toThrow(/not decimal/);
    expect(sumCounter(db, "k", rollingWindow(W, 1_001))).toBe("1");
  });

  it("reads the same value whatever the number of rows, from one head row per window shape", () => {
    const t0 = 9_000_000;
    const insert = db.$client.prepare(
      "INSERT INTO counter_events (key, at, id, amount, decision_id) VALUES ('k', ?, ?, '1', NULL)",
    );
    db.$client.transaction(() => {
      for (let i = 0; i < 5_000; i++) insert.run(t0 - W + 1 + (i % W), i);
    })();
    expect(readCounter(db, "k", rollingWindow(W, t0))).toBe("5000");
    expect(heads()).toEqual([
      { key: "k", window: "rolling:60000", from_at: t0 - W + 1, total: "5000" },
    ]);
    // Advancing by 10 ms drops exactly the rows stamped in those 10 ms.
    expect(readCounter(db, "k", rollingWindow(W, t0 + 10))).toBe(String(5000 - 10));
    expectHeadsExact();
  });

  it("restarts a calendar window at the boundary and counts rows already in the new one", () => {
    const end = Date.UTC(2026, 0, 1, 13);
    reserve("k", "2", "a", end - 5_000);
    reserve("k", "3", "b", end - 1);
    expect(readCounter(db, "k", calendarWindow("hour", end - 1))).toBe("5");
    // Another process already reserved in the new hour before this head moved.
    reserve("k", "1", "c", end + 20);
    expect(readCounter(db, "k", calendarWindow("hour", end + 50))).toBe("1");
    expect(readCounter(db, "k", calendarWindow("hour", end + 3_600_000))).toBe("0");
    expectHeadsExact();
  });

  it("counts exactly when this clock is behind the head, without moving the head back", () => {
    const t0 = 7_000_000;
    reserve("k", "1", "a", t0 - W + 5);
    reserve("k", "1", "b", t0);
    expect(readCounter(db, "k", rollingWindow(W, t0 + 10))).toBe("1");
    expect(readCounter(db, "k", rollingWindow(W, t0))).toBe("2");
    expect(heads()[0]?.from_at).toBe(t0 + 10 - W + 1);
    const hour = Date.UTC(2026, 0, 1, 13);
    reserve("c", "1", "x", hour - 10);
    expect(readCounter(db, "c", calendarWindow("hour", hour + 10))).toBe("0");
    expect(readCounter(db, "c", calendarWindow("hour", hour - 5))).toBe("1");
    expectHeadsExact();
  });

  it("keeps a head per window shape: a policy edit that changes the window builds a new one once", () => {
    const now = Date.UTC(2026, 0, 1, 12, 30);
    for (let i = 0; i < 4; i++) reserve("k", "1", `r${i}`, now - i * 60_000);
    expect(readCounter(db, "k", calendarWindow("day", now))).toBe("4");
    expect(readCounter(db, "k", calendarWindow("hour", now))).toBe("4");
    expect(readCounter(db, "k", rollingWindow(90_000, now))).toBe("2");
    expect(
      heads()
        .map((h) => h.window)
        .sort(),
    ).toEqual(["calendar:day", "calendar:hour", "rolling:90000"]);
    // Reservations and rollbacks keep every head of the key exact, used or not.
    reserve("k", "1", "new", now + 1);
    expect(rollbackReservations(db, "r0", now)).toBe(1);
    expectHeadsExact();
    expect(readCounter(db, "k", calendarWindow("day", now + 2))).toBe("4");
  });

  it("prunes the heads that counted pruned rows; the next read rebuilds them", () => {
    const now = 50_000_000;
    reserve("k", "1", "a", now - 10_000);
    reserve("k", "1", "b", now - 1_000);
    expect(readCounter(db, "k", rollingWindow(20_000, now))).toBe("2");
    expect(readCounter(db, "k", rollingWindow(5_000, now))).toBe("1");
    expect(pruneCounters(db, now, 8_000)).toBe(1);
    expect(heads().map((h) => h.window)).toEqual(["rolling:5000"]);
    expect(readCounter(db, "k", rollingWindow(20_000, now))).toBe("1");
    expectHeadsExact();
  });

  it("rolls back a row that already left the window without touching the total", () => {
    const t0 = 3_000_000;
    reserve("k", "1", "gone", t0);
    reserve("k", "1", "kept", t0 + W);
    expect(readCounter(db, "k", rollingWindow(W, t0 + W))).toBe("1");
    expect(rollbackReservations(db, "gone", t0)).toBe(1);
    expect(readCounter(db, "k", rollingWindow(W, t0 + W))).toBe("1");
    expect(rollbackReservations(db, "kept", t0 + W)).toBe(1);
    expect(readCounter(db, "k", rollingWindow(W, t0 + W))).toBe("0");
    expectHeadsExact();
  });
});

describe("counter heads match a brute-force sum (property)", () => {
  type Row = { key: string; at: number; amount: Decimal; decision: string };
  type Op =
    | { op: "tick"; ms: number }
    | { op: "reserve"; keys: string[]; amount: string }
    | { op: "read"; key: string; window: number }
    | { op: "rollback"; pick: number }
    | { op: "prune"; retention: number }
    | { op: "pruneStep"; retention: number; maxKeys: number };

  const KEYS = ["a", "b", "c"];
  const WINDOWS = [
    (now: number) => rollingWindow(1_000, now),
    (now: number) => rollingWindow(7_000, now),
    (now: number) => calendarWindow("minute", now),
  ];
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant("tick" as const),
        ms: fc.integer({ min: -40, max: 4_000 }),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant("reserve" as const),
        keys: fc.subarray(KEYS, { minLength: 1 }),
        amount: fc.constantFrom("1", "0.1", "2.5", "0", "12345678901234567890.01"),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant("read" as const),
        key: fc.constantFrom(...KEYS),
        window: fc.integer({ min: 0, max: WINDOWS.length - 1 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("rollback" as const), pick: fc.nat() }) },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("prune" as const),
        retention: fc.integer({ min: 500, max: 90_000 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("pruneStep" as const),
        retention: fc.integer({ min: 500, max: 90_000 }),
        maxKeys: fc.integer({ min: 1, max: 2 }),
      }),
    },
  );

  const lowerBound = (w: CounterWindow) => (w.kind === "calendar" ? w.start : w.from + 1);

  /** The table holds exactly the rows the model holds: pruning took no more and no less. */
  const expectRows = (model: Row[]) => {
    const stored = db.$client
      .prepare("SELECT key, at, decision_id AS decision FROM counter_events")
      .all() as { key: string; at: number; decision: string }[];
    const text = (r: { key: string; at: number; decision: string }) =>
      `${r.key} ${r.at} ${r.decision}`;
    expect(stored.map(text).sort()).toEqual(model.map(text).sort());
  };

  it("reads, reservations, rollbacks and prunes in any order keep every total exact", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        db.$client.exec("DELETE FROM counter_events; DELETE FROM counter_heads;");
        let now = Date.UTC(2026, 0, 1, 0, 0, 50);
        let rows: Row[] = [];
        const decisions: string[] = [];
        let pruneFrom: string | null = null;
        for (const [i, o] of ops.entries()) {
          if (o.op === "tick") now += o.ms;
          else if (o.op === "reserve") {
            const id = `d${i}`;
            decisions.push(id);
            withTransaction({ db }, (tx) =>
              reserveCounters(
                tx,
                o.keys.map((key) => ({ key, amount: o.amount })),
                id,
                now,
              ),
            );
            const amount = parseDecimal(o.amount) ?? ZERO;
            for (const key of o.keys) rows.push({ key, at: now, amount, decision: id });
          } else if (o.op === "rollback") {
            const id = decisions[o.pick % Math.max(1, decisions.length)];
            if (id === undefined) continue;
            const mine = rows.filter((r) => r.decision === id);
            const at = mine[0]?.at ?? now;
            // The keys it reserved (as the proxy passes them), every key, or none (a scan).
            const keys = [[...new Set(mine.map((r) => r.key))], KEYS, undefined][o.pick % 3];
            expect(rollbackReservations(db, id, at, keys)).toBe(mine.length);
            rows = rows.filter((r) => r.decision !== id);
          } else if (o.op === "prune") {
            pruneCounters(db, now, o.retention);
            rows = rows.filter((r) => r.at >= now - o.retention);
            pruneFrom = null;
            expectRows(rows);
          } else if (o.op === "pruneStep") {
            // One bounded step of a walk over the keys, as the gateway's sweep takes them.
            const from = pruneFrom;
            const step = pruneCounterKeys(db, now, from, o.maxKeys, o.retention);
            const visited = (key: string) =>
              (from === null || key > from) && (step.next === null || key <= step.next);
            rows = rows.filter((r) => !visited(r.key) || r.at >= now - o.retention);
            pruneFrom = step.next;
            expectRows(rows);
            expectHeadsExact();
          } else {
            const window = WINDOWS[o.window]?.(now) ?? rollingWindow(1_000, now);
            const lo = lowerBound(window);
            const brute = rows
              .filter((r) => r.key === o.key && r.at >= lo)
              .reduce((t, r) => addDecimal(t, r.amount), ZERO);
            expect(db.$client.transaction(() => readCounter(db, o.key, window)).immediate()).toBe(
              formatDecimal(brute),
            );
          }
        }
        expectHeadsExact();
      }),
      { numRuns: 150 },
    );
  });
});

describe("rows written without heads", () => {
  it("never lets a head go below zero: the window is counted again from the rows", () => {
    const key = "k-foreign";
    const w = (now: number) => rollingWindow(60_000, now);
    reserve(key, "1", "evt_a", 1_000);
    expect(readCounter(db, key, w(2_000))).toBe("1");
    // A row the heads never saw (an older process, a hand edit), then the window moves past it.
    db.$client
      .prepare(
        "INSERT INTO counter_events (key, at, id, amount, decision_id) VALUES (?, ?, 1, ?, ?)",
      )
      .run(key, 1_500, "5", "evt_foreign");
    reserve(key, "2", "evt_b", 70_000);
    expect(readCounter(db, key, w(70_500))).toBe("2");
    expect(sumCounter(db, key, w(70_500))).toBe("2");
  });
});

describe("pruning key by key", () => {
  it("walks the keys in bounded steps, each step taking its keys' old rows and heads together", () => {
    const now = 80_000_000;
    for (const key of ["a", "b", "c"]) {
      reserve(key, "1", `old-${key}`, now - 10_000);
      reserve(key, "1", `new-${key}`, now - 1_000);
    }
    // Heads that still count the old rows: a 20-second window reaches back past them.
    for (const key of ["a", "b", "c"])
      expect(readCounter(db, key, rollingWindow(20_000, now))).toBe("2");
    const first = pruneCounterKeys(db, now, null, 2, 5_000);
    expect(first).toEqual({ removed: 2, next: "b" });
    // The walk's start drops every head that old, of keys walked or not.
    expect(heads()).toEqual([]);
    // A head of a key the walk has not reached yet, made after the walk began, over its old row.
    expect(readCounter(db, "c", rollingWindow(20_000, now))).toBe("2");
    expect(pruneCounterKeys(db, now, first.next, 2, 5_000)).toEqual({ removed: 1, next: null });
    expect(heads()).toEqual([]);
    expectHeadsExact();
    for (const key of ["a", "b", "c"])
      expect(readCounter(db, key, rollingWindow(20_000, now))).toBe("1");
    expect(pruneCounterKeys(db, now, null, 2, 5_000)).toEqual({ removed: 0, next: "b" });
  });
});
