import { describe, expect, it } from "vitest";

import { evaluate } from "./evaluate";
import { call, FakeCounterStore, snapshotOf } from "./fake-store.test-helper";
import { parsePolicy } from "./parse";
import type { PolicyIssue } from "./types";

/*
 * Intercept compatibility: a rule may read another tool's counter (`state.<tool>.<counter>`)
 * without counting the call in it. The counter is the one the other tool's `state` block
 * declares: its key (scope) and window come from that block.
 */

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);
const CHARGES_KEY = (agent: string) => `["agent","${agent}","srv","state.create_charge.charges"]`;

const STRIPE = `version: "1"
tools:
  create_charge:
    rules:
      - name: charges per day
        state: { counter: charges, window: day }
        conditions: [{ path: state.create_charge.charges, op: lte, value: 10 }]
  create_refund:
    rules:
      - name: refunds only on quiet days
        conditions:
          - { path: state.create_charge.charges, op: lt, value: 2 }
        on_deny: "No refunds after two charges today"
`;

function errorsOf(yaml: string): PolicyIssue[] {
  const result = parsePolicy(yaml);
  if (result.ok) throw new Error("expected validation errors");
  return result.errors;
}

describe("reading another tool's counter: validation", () => {
  it("accepts a read of a counter declared by another tool, with any numeric comparison", () => {
    for (const op of ["lt", "lte", "gt", "gte", "eq", "neq"]) {
      const yaml = STRIPE.replace("op: lt, value: 2", `op: ${op}, value: 2`);
      const result = parsePolicy(yaml);
      expect(result.ok ? result.warnings : result.errors).toEqual([]);
    }
  });

  it('accepts reads of a counter of another rule of the same tool, of a glob entry and of "*"', () => {
    const result = parsePolicy(`version: "1"
tools:
  send:
    rules:
      - name: spend
        state: { counter: spend, window: hour, increment_from: args.amount }
        conditions: [{ path: state.send.spend, op: lte, value: 100 }]
      - name: big sends only early in the hour
        action: require_approval
        conditions:
          - { path: state.send.spend, op: gte, value: 50 }
          - { path: "state.delete_*.deletes", op: gt, value: 0 }
          - { path: state._global.calls, op: gt, value: 100 }
  delete_*:
    rules:
      - state: { counter: deletes, window: day }
        conditions: [{ path: "state.delete_*.deletes", op: lt, value: 3 }]
  "*":
    rules:
      - state: { counter: calls, window: minute }
        conditions: [{ path: state._global.calls, op: lte, value: 1000 }]
        scope: shared
`);
    expect(result.ok ? result.warnings : result.errors).toEqual([]);
  });

  it("keeps the error when no state block declares the counter, naming the tool and counter", () => {
    const undeclared = errorsOf(
      STRIPE.replace(
        "state.create_charge.charges, op: lt, value: 2",
        "state.create_charge.refunds, op: lt, value: 2",
      ),
    );
    expect(undeclared).toEqual([
      expect.objectContaining({
        path: "tools.create_refund.rules[0].conditions",
        line: 12,
        column: 13,
        message:
          'no matching state block for "state.create_charge.refunds": no rule of tool "create_charge" declares a state counter "refunds"',
      }),
    ]);
    const noTool = errorsOf(
      STRIPE.replace(
        "state.create_charge.charges, op: lt, value: 2",
        "state.create_payout.charges, op: lt, value: 2",
      ),
    );
    expect(noTool.map((e) => e.message)).toEqual([
      'no matching state block for "state.create_payout.charges": the policy has no tool entry "create_payout" (a condition may read a counter declared by a state block of any tool entry)',
    ]);
    const noGlobal = errorsOf(
      STRIPE.replace(
        "state.create_charge.charges, op: lt, value: 2",
        "state._global.calls, op: lt, value: 2",
      ),
    );
    expect(noGlobal[0]?.message).toContain('the policy has no tool entry "*"');
  });

  it("still requires an upper bound on a rule's own counter, and numbers on reads", () => {
    expect(
      errorsOf(STRIPE.replace("charges, op: lte, value: 10", "charges, op: gte, value: 10")),
    ).toEqual([
      expect.objectContaining({
        path: "tools.create_charge.rules[0].state",
        message: expect.stringContaining('counter "charges" has no upper bound'),
      }),
      expect.objectContaining({
        path: "tools.create_charge.rules[0].conditions[0].op",
        message: 'state conditions must use "lt" or "lte" (an upper bound), not "gte"',
      }),
    ]);
    expect(errorsOf(STRIPE.replace("op: lt, value: 2", "op: in, value: [1, 2]"))).toEqual([
      expect.objectContaining({
        path: "tools.create_refund.rules[0].conditions[0].op",
        message: 'state conditions compare numbers: use lt, lte, gt, gte, eq, neq, not "in"',
      }),
    ]);
    expect(errorsOf(STRIPE.replace("op: lt, value: 2", 'op: lt, value: "2"'))).toEqual([
      expect.objectContaining({
        path: "tools.create_refund.rules[0].conditions[0].value",
        message: 'operator "lt" requires a numeric value',
      }),
    ]);
  });

  it("does not count a read as a bound: a counter read elsewhere still needs its own", () => {
    const errors = errorsOf(`version: "1"
tools:
  a:
    rules:
      - state: { counter: n, window: day }
        conditions: [{ path: args.x, op: exists, value: true }]
  b:
    rules:
      - conditions: [{ path: state.a.n, op: lt, value: 5 }]
`);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringContaining('counter "n" has no upper bound'),
    ]);
  });
});

describe("reading another tool's counter: evaluation", () => {
  const snap = snapshotOf(STRIPE);

  it("allows refunds while today's charges are below 2 and never counts them", () => {
    const store = new FakeCounterStore();
    expect(call(snap, "create_refund", { store, now: T0 })).toEqual({
      kind: "allow",
      rule: "refunds only on quiet days",
      reservations: [],
    });
    call(snap, "create_charge", { store, now: T0 });
    expect(call(snap, "create_refund", { store, now: T0 + 1 }).kind).toBe("allow");
    call(snap, "create_charge", { store, now: T0 + 2 });
    expect(call(snap, "create_refund", { store, now: T0 + 3 })).toEqual({
      kind: "deny",
      cause: "condition",
      rule: "refunds only on quiet days",
      reason: "condition failed: state.create_charge.charges lt 2 (read only, per day: 2 so far)",
      message: "No refunds after two charges today",
    });
    // Only the two charges were recorded: the refunds read the counter, nothing more.
    expect(store.recorded.map((e) => e.key)).toEqual([CHARGES_KEY("agt_1"), CHARGES_KEY("agt_1")]);
    expect(
      store.sum(CHARGES_KEY("agt_1"), { kind: "calendar", unit: "day", start: 0, end: T0 * 2 }),
    ).toEqual({ digits: 2n, scale: 0 });
  });

  it("reads through the counter store with the declaring rule's key and window", () => {
    const store = new FakeCounterStore();
    call(snap, "create_refund", { store, now: T0 });
    expect(store.reads).toEqual([
      {
        key: CHARGES_KEY("agt_1"),
        window: {
          kind: "calendar",
          unit: "day",
          start: Date.UTC(2025, 0, 15),
          end: Date.UTC(2025, 0, 16),
        },
      },
    ]);
  });

  it("uses the window of the counter: yesterday's charges do not count", () => {
    const store = new FakeCounterStore();
    call(snap, "create_charge", { store, now: T0 - 86_400_000 });
    call(snap, "create_charge", { store, now: T0 - 86_400_000 });
    expect(call(snap, "create_refund", { store, now: T0 - 86_400_000 }).kind).toBe("deny");
    expect(call(snap, "create_refund", { store, now: T0 }).kind).toBe("allow");
  });

  it("reads an agent-scoped counter per agent, whatever scope the reading rule names", () => {
    const scoped = snapshotOf(
      STRIPE.replace('on_deny: "No refunds after two charges today"', "scope: shared"),
    );
    const store = new FakeCounterStore();
    call(scoped, "create_charge", { store, agentId: "agt_a" });
    call(scoped, "create_charge", { store, agentId: "agt_a" });
    expect(call(scoped, "create_refund", { store, agentId: "agt_a" }).kind).toBe("deny");
    expect(call(scoped, "create_refund", { store, agentId: "agt_b" }).kind).toBe("allow");
  });

  it("reads a shared counter as the total of all agents", () => {
    const shared = snapshotOf(
      STRIPE.replace(
        "conditions: [{ path: state.create_charge.charges, op: lte, value: 10 }]",
        "conditions: [{ path: state.create_charge.charges, op: lte, value: 10 }]\n        scope: shared",
      ),
    );
    const store = new FakeCounterStore();
    call(shared, "create_charge", { store, agentId: "agt_a" });
    call(shared, "create_charge", { store, agentId: "agt_b" });
    expect(store.recorded.map((e) => e.key)).toEqual([
      '["shared","srv","state.create_charge.charges"]',
      '["shared","srv","state.create_charge.charges"]',
    ]);
    expect(call(shared, "create_refund", { store, agentId: "agt_c" }).kind).toBe("deny");
  });

  it("sees the value before this call when the same call also counts in that counter", () => {
    const snapSame = snapshotOf(`version: "1"
tools:
  send:
    rules:
      - name: quota
        state: { counter: sent, window: hour }
        conditions: [{ path: state.send.sent, op: lte, value: 3 }]
      - name: first send of the hour
        action: require_approval
        conditions: [{ path: state.send.sent, op: eq, value: 0 }]
`);
    const store = new FakeCounterStore();
    expect(call(snapSame, "send", { store, now: T0 }).kind).toBe("require_approval");
    expect(call(snapSame, "send", { store, now: T0, approved: true }).kind).toBe("allow");
    expect(call(snapSame, "send", { store, now: T0 + 1 })).toMatchObject({
      kind: "allow",
      reservations: [expect.objectContaining({ key: '["agent","agt_1","srv","state.send.sent"]' })],
    });
  });

  it("refuses when the counter store returns garbage, and propagates a store failure", () => {
    const input = {
      server: "srv",
      tool: "create_refund",
      arguments: {},
      agentId: "agt_1",
      grants: [],
      now: T0,
    };
    expect(evaluate(snap, { ...input, counters: () => "-1" })).toMatchObject({
      kind: "deny",
      cause: "internal",
      rule: "refunds only on quiet days",
    });
    expect(() =>
      evaluate(snap, {
        ...input,
        counters: () => {
          throw new Error("disk on fire");
        },
      }),
    ).toThrow("disk on fire");
  });
});
