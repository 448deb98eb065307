import { describe, expect, it } from "vitest";

import {
  addDecimal,
  compareDecimal,
  decimalFromNumber,
  formatDecimal,
  parseDecimal,
} from "./decimal";
import { evaluate } from "./evaluate";
import { call, FakeCounterStore, snapshotOf } from "./fake-store.test-helper";
import { calendarWindow, rollingWindow } from "./windows";

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

describe("windows", () => {
  it.each([
    [
      "minute",
      Date.UTC(2025, 0, 15, 12, 34, 56, 789),
      Date.UTC(2025, 0, 15, 12, 34),
      Date.UTC(2025, 0, 15, 12, 35),
    ],
    [
      "hour",
      Date.UTC(2025, 0, 15, 12, 34, 56),
      Date.UTC(2025, 0, 15, 12),
      Date.UTC(2025, 0, 15, 13),
    ],
    ["day", Date.UTC(2025, 0, 15, 23, 59, 59, 999), Date.UTC(2025, 0, 15), Date.UTC(2025, 0, 16)],
    ["day", Date.UTC(2024, 1, 29, 0, 0, 0, 0), Date.UTC(2024, 1, 29), Date.UTC(2024, 2, 1)],
  ] as const)("calendar %s at %i is UTC-aligned", (unit, now, start, end) => {
    expect(calendarWindow(unit, now)).toEqual({ kind: "calendar", unit, start, end });
  });
  it("rolling windows end at now", () => {
    expect(rollingWindow(60_000, T0)).toEqual({
      kind: "rolling",
      windowMs: 60_000,
      from: T0 - 60_000,
      to: T0,
    });
  });
});

describe("decimal", () => {
  it.each([
    [0.1, 0.2, "0.3"],
    [19.99, 0.01, "20"],
    [1e21, 1, "1000000000000000000001"],
    [1e-7, 0, "0.0000001"],
    [123456789.123456, 0.000001, "123456789.123457"],
  ])("%d + %d = %s exactly", (a, b, sum) => {
    const x = decimalFromNumber(a);
    const y = decimalFromNumber(b);
    if (!x || !y) throw new Error("not finite");
    expect(formatDecimal(addDecimal(x, y))).toBe(sum);
  });
  it.each(["", "1e3", " 1", "1.", ".5", "abc", "0x10"])("rejects %j", (text) => {
    expect(parseDecimal(text)).toBeNull();
  });
  it("orders values of different scales", () => {
    const a = parseDecimal("10.50");
    const b = parseDecimal("10.5");
    const c = parseDecimal("10.499999999999999999999");
    if (!a || !b || !c) throw new Error("parse");
    expect(compareDecimal(a, b)).toBe(0);
    expect(compareDecimal(c, a)).toBe(-1);
    expect(formatDecimal(a)).toBe("10.5");
    expect(decimalFromNumber(Number.NaN)).toBeNull();
    expect(decimalFromNumber(Infinity)).toBeNull();
  });
  it("prints a zero reached from a fraction as 0", () => {
    const a = parseDecimal("0.1");
    if (!a) throw new Error("parse");
    expect(formatDecimal(addDecimal(a, { digits: -1n, scale: 1 }))).toBe("0");
  });
});

describe("calendar rate limits", () => {
  const snap = snapshotOf(
    'version: "1"\ntools:\n  create_issue:\n    rules:\n      - name: hourly\n        rate_limit: 2/hour\n',
  );
  it("admits N per UTC hour and resets at the boundary", () => {
    const store = new FakeCounterStore();
    const end = Date.UTC(2025, 0, 15, 13);
    expect(call(snap, "create_issue", { store, now: end - 10_000 }).kind).toBe("allow");
    expect(call(snap, "create_issue", { store, now: end - 5_000 }).kind).toBe("allow");
    const refused = call(snap, "create_issue", { store, now: end - 1 });
    expect(refused).toMatchObject({
      kind: "deny",
      cause: "rate_limit",
      rule: "hourly",
      message: "Rate limit of 2 per hour reached. Try again later.",
      retryAfterSeconds: 1,
    });
    expect(call(snap, "create_issue", { store, now: end }).kind).toBe("allow");
  });
  it("keys the counter by agent, server and counter name — never by policy version", () => {
    const d = call(snap, "create_issue");
    expect(d.kind === "allow" && d.reservations).toEqual([
      {
        key: '["agent","agt_1","srv","state.create_issue._rate_hour"]',
        amount: "1",
        window: calendarWindow("hour", T0),
        limit: "2",
        inclusive: true,
        rule: "hourly",
      },
    ]);
  });
  it("separates agents under scope agent and pools them under scope shared", () => {
    const store = new FakeCounterStore();
    for (const agentId of ["a", "a", "b", "b"])
      expect(call(snap, "create_issue", { store, agentId }).kind).toBe("allow");
    const shared = snapshotOf(
      'version: "1"\ntools:\n  "*":\n    rules:\n      - rate_limit: 3/minute\n        scope: shared\n',
    );
    const pool = new FakeCounterStore();
    const kinds = ["a", "b", "c", "d"].map(
      (agentId, i) => call(shared, `tool_${i}`, { store: pool, agentId }).kind,
    );
    expect(kinds).toEqual(["allow", "allow", "allow", "deny"]);
    expect(pool.recorded[0]?.key).toBe('["shared","srv","state._global._rate_minute"]');
  });
  it("survives a policy edit: the new limit sees the old count", () => {
    const store = new FakeCounterStore();
    call(snap, "create_issue", { store });
    call(snap, "create_issue", { store });
    const edited = snapshotOf(
      'version: "1"\ndescription: edited\ntools:\n  create_issue:\n    rules:\n      - name: renamed\n        rate_limit: 3/hour\n',
    );
    expect(call(edited, "create_issue", { store }).kind).toBe("allow");
    expect(call(edited, "create_issue", { store }).kind).toBe("deny");
  });
  it("writes one reservation when two rules share a counter, and checks both limits", () => {
    const two = snapshotOf(
      'version: "1"\ntools:\n  t:\n    rules:\n      - rate_limit: 5/hour\n      - rate_limit: 1/hour\n',
    );
    const store = new FakeCounterStore();
    const d = call(two, "t", { store });
    expect(d.kind === "allow" && d.reservations.length).toBe(1);
    expect(call(two, "t", { store })).toMatchObject({ kind: "deny", rule: "t#1" });
  });
  it("uses on_deny for rate-limit refusals when set", () => {
    const custom = snapshotOf(
      'version: "1"\ntools:\n  t:\n    rules:\n      - rate_limit: 1/day\n        on_deny: "Once a day"\n',
    );
    const store = new FakeCounterStore();
    call(custom, "t", { store });
    expect(call(custom, "t", { store })).toMatchObject({ kind: "deny", message: "Once a day" });
  });
});

describe("rolling rate limits", () => {
  const snap = snapshotOf(
    'version: "1"\ntools:\n  run:\n    rules:\n      - rate_limit: { max: 2, window: 60 }\n',
  );
  it("counts (now - window, now] and reports the exact retry-after", () => {
    const store = new FakeCounterStore();
    expect(call(snap, "run", { store, now: T0 }).kind).toBe("allow");
    expect(call(snap, "run", { store, now: T0 + 30_000 }).kind).toBe("allow");
    const refused = call(snap, "run", { store, now: T0 + 59_999 });
    expect(refused).toMatchObject({
      kind: "deny",
      message: "Rate limit of 2 per 60 seconds reached. Try again later.",
      retryAfterSeconds: 1,
    });
    expect(call(snap, "run", { store, now: T0 + 60_000 }).kind).toBe("allow");
    expect(call(snap, "run", { store, now: T0 + 60_001 }).kind).toBe("deny");
  });
  it("walks the oldest entries only until the call fits", () => {
    const wide = snapshotOf(
      'version: "1"\ntools:\n  run:\n    rules:\n      - rate_limit: { max: 100, window: 60 }\n',
    );
    const store = new FakeCounterStore();
    for (let i = 0; i < 100; i += 1) call(wide, "run", { store, now: T0 + i * 100 });
    store.pulled = 0;
    const refused = call(wide, "run", { store, now: T0 + 20_000 });
    expect(refused).toMatchObject({ kind: "deny", retryAfterSeconds: 40 });
    expect(store.pulled).toBe(1);
    // Far over a lowered limit: a bounded walk, then the window length.
    const lowered = snapshotOf(
      'version: "1"\ntools:\n  run:\n    rules:\n      - rate_limit: { max: 1, window: 60 }\n',
    );
    for (let i = 0; i < 1500; i += 1) store.commit(call(wide, "run", { now: T0 }), T0 + i);
    store.pulled = 0;
    expect(call(lowered, "run", { store, now: T0 + 30_000 })).toMatchObject({
      retryAfterSeconds: 60,
    });
    expect(store.pulled).toBeLessThanOrEqual(1001);
  });
  it("falls back to the window length as an upper bound without entries()", () => {
    const store = new FakeCounterStore();
    call(snap, "run", { store, now: T0 });
    call(snap, "run", { store, now: T0 + 1 });
    const input = {
      server: "srv",
      tool: "run",
      agentId: "agt_1",
      grants: [],
      arguments: {},
      now: T0 + 2,
    };
    expect(evaluate(snap, { ...input, counters: store.plainReader })).toMatchObject({
      kind: "deny",
      retryAfterSeconds: 60,
    });
    expect(evaluate(snap, { ...input, counters: store.reader })).toMatchObject({
      kind: "deny",
      retryAfterSeconds: 60,
    });
    expect(evaluate(snap, { ...input, now: T0 + 30_000, counters: store.reader })).toMatchObject({
      retryAfterSeconds: 30,
    });
    expect(
      evaluate(snap, { ...input, now: T0 + 30_000, counters: store.plainReader }),
    ).toMatchObject({ retryAfterSeconds: 60 });
  });
});

describe("state counters (spend caps)", () => {
  const snap = snapshotOf(`version: "1"
tools:
  create_charge:
    rules:
      - name: daily spend
        state: { counter: spend, window: day, increment_from: args.amount }
        conditions:
          - { path: state.create_charge.spend, op: lte, value: 100 }
        on_deny: "Daily spend cap reached"
  send_email:
    rules:
      - name: hourly emails
        state: { counter: emails, window: hour, increment: 1 }
        conditions:
          - { path: state.send_email.emails, op: lt, value: 3 }
`);
  it("adds exact decimal amounts and refuses the call that would cross the cap", () => {
    const store = new FakeCounterStore();
    for (let i = 0; i < 10; i += 1)
      expect(call(snap, "create_charge", { store, arguments: { amount: 9.99 } }).kind).toBe(
        "allow",
      );
    expect(
      formatDecimal(
        store.sum('["agent","agt_1","srv","state.create_charge.spend"]', calendarWindow("day", T0)),
      ),
    ).toBe("99.9");
    expect(call(snap, "create_charge", { store, arguments: { amount: 0.1 } }).kind).toBe("allow");
    const refused = call(snap, "create_charge", { store, arguments: { amount: 0.01 } });
    expect(refused).toMatchObject({
      kind: "deny",
      cause: "rate_limit",
      rule: "daily spend",
      message: "Daily spend cap reached",
    });
    expect(refused.kind === "deny" && refused.retryAfterSeconds).toBe(12 * 3600);
    expect(call(snap, "create_charge", { store, arguments: { amount: 0 } }).kind).toBe("allow");
  });
  it("gives no retry-after when one call alone exceeds the cap", () => {
    const d = call(snap, "create_charge", { arguments: { amount: 100.01 } });
    expect(d.kind === "deny" && d.retryAfterSeconds).toBeUndefined();
  });
  it.each([[-1], ["10"], [null], [true], [Number.NaN], [Infinity], [[1]], [{ v: 1 }]])(
    "refuses increment_from value %j (finite number >= 0 only)",
    (amount) => {
      expect(call(snap, "create_charge", { arguments: { amount } })).toMatchObject({
        kind: "deny",
        cause: "invalid_arguments",
      });
    },
  );
  it("refuses a missing increment_from argument", () => {
    expect(call(snap, "create_charge", { arguments: {} })).toMatchObject({
      kind: "deny",
      cause: "invalid_arguments",
    });
  });
  it("lt is exclusive", () => {
    const store = new FakeCounterStore();
    const kinds = [0, 1, 2].map(() => call(snap, "send_email", { store }).kind);
    expect(kinds).toEqual(["allow", "allow", "deny"]);
  });
  it("reserves the amount with the counter's limit", () => {
    const d = call(snap, "create_charge", { arguments: { amount: 12.5 } });
    expect(d.kind === "allow" && d.reservations[0]).toMatchObject({
      amount: "12.5",
      limit: "100",
      inclusive: true,
      rule: "daily spend",
    });
  });
  it("keeps counters of glob entries in one pool named after the entry", () => {
    const glob = snapshotOf(`version: "1"
tools:
  delete_*:
    rules:
      - state: { counter: deletions, window: day }
        conditions: [{ path: "state.delete_*.deletions", op: lte, value: 2 }]
`);
    const store = new FakeCounterStore();
    expect(["delete_a", "delete_b", "delete_c"].map((t) => call(glob, t, { store }).kind)).toEqual([
      "allow",
      "allow",
      "deny",
    ]);
  });
});
