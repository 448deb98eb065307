import { beforeEach, describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { calendarWindow, rollingWindow } from "@/lib/core/policy";
import { withTransaction } from "@/lib/services/context";
import { createTestDb } from "@/lib/testing";
import {
  counterReader,
  pruneCounters,
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

describe("counters", () => {
  it("sums exact decimals without floating point error", () => {
    const now = Date.UTC(2026, 0, 1, 12, 30);
    for (let i = 0; i < 10; i++) reserve("spend", "0.1", `evt_${i}`, now);
    reserve("spend", "12345678901234567890.05", "evt_big", now);
    expect(sumCounter(db, "spend", calendarWindow("day", now))).toBe("12345678901234567891.05");
  });

  it("counts increments of 1 and other amounts together, per key and window", () => {
    const now = Date.UTC(2026, 0, 1, 12, 30, 30);
    reserve("k", "1", "a", now - 10_000);
    reserve("k", "1", "b", now);
    reserve("k", "2.5", "c", now);
    reserve("other", "1", "d", now);
    reserve("k", "1", "e", Date.UTC(2026, 0, 1, 12, 29, 59));
    expect(sumCounter(db, "k", calendarWindow("minute", now))).toBe("4.5");
    expect(sumCounter(db, "k", calendarWindow("hour", now))).toBe("5.5");
    expect(sumCounter(db, "k", rollingWindow(5_000, now))).toBe("3.5");
    expect(sumCounter(db, "missing", rollingWindow(5_000, now))).toBe("0");
  });

  it("counts rows stamped after 'now' in rolling windows (never under-counts)", () => {
    const now = 1_000_000;
    reserve("k", "1", "late", now + 50);
    expect(sumCounter(db, "k", rollingWindow(60_000, now))).toBe("1");
  });

  it("exposes window entries for exact retry-after", () => {
    const now = 2_000_000;
    reserve("k", "3", "x", now - 100);
    const read = counterReader(db);
    expect(read.entries?.("k", rollingWindow(60_000, now))).toEqual([
      { at: now - 100, amount: "3" },
    ]);
  });

  it("rolls back by decision id and prunes old rows", () => {
    const now = Date.now();
    reserve("k", "1", "keep", now);
    reserve("k", "1", "undo", now);
    reserve("k", "1", "old", now - 30 * 86_400_000);
    expect(rollbackReservations(db, "undo")).toBe(1);
    expect(pruneCounters(db, now)).toBe(1);
    expect(sumCounter(db, "k", rollingWindow(60_000, now))).toBe("1");
  });

  it("refuses a non-decimal amount", () => {
    expect(() => reserve("k", "1e3", "x", 1)).toThrow(/not a decimal/);
  });
});
