import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { evaluate } from "./evaluate";
import { call, FakeCounterStore, snapshotOf } from "./fake-store.test-helper";

const RICH = snapshotOf(`version: "1"
default: deny
tools:
  t:
    rules:
      - conditions:
          - { path: args.a.b, op: regex, value: "^x" }
          - { path: args.items.0, op: in, value: [1, "1", null, true] }
          - { path: args.n, op: lte, value: 10 }
          - { path: 'args["k.j"]', op: contains, value: "z" }
          - { path: args.q, op: exists, value: false }
      - validate: { required_args: true, schema: true }
      - state: { counter: spend, window: day, increment_from: args.amount }
        conditions: [{ path: state.t.spend, op: lte, value: 1000 }]
      - rate_limit: { max: 5, window: 60 }
`);

describe("properties", () => {
  it("evaluation never throws on arbitrary JSON arguments, tool names and schemas", () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.oneof(fc.constant("t"), fc.string()),
        fc.jsonValue(),
        (args, tool, schema) => {
          const d = evaluate(RICH, {
            server: "s",
            tool,
            arguments: args,
            agentId: "a",
            grants: [{ id: "g", effect: "allow", toolPattern: "*" }],
            toolDefinition: { inputSchema: schema },
            counters: () => "0",
            now: 1_700_000_000_000,
          });
          expect(["allow", "deny", "require_approval"]).toContain(d.kind);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a deny rule always denies its tool, whatever the arguments, grants and approvals", () => {
    const snap = snapshotOf(
      'version: "1"\ntools:\n  nuke:\n    rules:\n      - action: deny\n  "*":\n    rules:\n      - action: allow\n',
    );
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.boolean(),
        fc.array(fc.constantFrom("*", "nuke", "n*", "other")),
        (args, approved, patterns) => {
          const grants = patterns.map((toolPattern, i) => ({
            id: `g${i}`,
            effect: "allow" as const,
            toolPattern,
          }));
          const d = evaluate(snap, {
            server: "s",
            tool: "nuke",
            arguments: args,
            agentId: "a",
            grants,
            approved,
            counters: () => "0",
            now: 0,
          });
          expect(d.kind).toBe("deny");
        },
      ),
    );
  });

  it("rolling admission never exceeds max in any window, for arbitrary call times", () => {
    const max = 3;
    const windowMs = 10_000;
    const snap = snapshotOf(
      `version: "1"\ntools:\n  t:\n    rules:\n      - rate_limit: { max: ${max}, window: ${windowMs / 1000} }\n`,
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 60_000 }), { maxLength: 60 }), (offsets) => {
        const store = new FakeCounterStore();
        const times = [...offsets].sort((a, b) => a - b);
        const admitted: number[] = [];
        for (const now of times) {
          if (call(snap, "t", { store, now }).kind === "allow") admitted.push(now);
        }
        for (const start of admitted) {
          const inWindow = admitted.filter((t) => t >= start && t < start + windowMs).length;
          expect(inWindow).toBeLessThanOrEqual(max);
        }
        if (times.length > 0) expect(admitted.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it("spend caps never admit more than the cap per UTC day for arbitrary decimal amounts", () => {
    const snap = snapshotOf(`version: "1"
tools:
  pay:
    rules:
      - state: { counter: spend, window: day, increment_from: args.amount }
        conditions: [{ path: state.pay.spend, op: lte, value: 100 }]
`);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 3 * 86_400_000 }),
            cents: fc.integer({ min: 0, max: 5_000 }),
          }),
          { maxLength: 40 },
        ),
        (calls) => {
          const store = new FakeCounterStore();
          const perDay = new Map<number, number>();
          for (const { at, cents } of [...calls].sort((a, b) => a.at - b.at)) {
            if (
              call(snap, "pay", { store, now: at, arguments: { amount: cents / 100 } }).kind ===
              "allow"
            ) {
              const day = Math.floor(at / 86_400_000);
              perDay.set(day, (perDay.get(day) ?? 0) + cents);
            }
          }
          for (const cents of perDay.values()) expect(cents).toBeLessThanOrEqual(10_000);
        },
      ),
    );
  });
});
