import { describe, expect, it } from "vitest";

import { evaluate } from "@/lib/core/policy/evaluate";
import { parsePolicy } from "@/lib/core/policy/parse";
import { compilePolicy } from "@/lib/core/policy/snapshot";
import { COMPARISON, GITHUB_POLICY, STRIPE_POLICY } from "../policy-example";

const NOW = Date.parse("2026-03-02T10:30:00Z");

function snapshotOf(text: string) {
  const parsed = parsePolicy(text);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return compilePolicy(parsed.policy);
}

describe("landing page policy examples", () => {
  it.each([
    ["github", GITHUB_POLICY],
    ["stripe", STRIPE_POLICY],
  ])("the %s policy validates without warnings", (_name, text) => {
    const parsed = parsePolicy(text);
    expect(parsed.ok ? [] : parsed.errors).toEqual([]);
    expect(parsed.ok && parsed.warnings).toEqual([]);
  });

  const snapshots = { github: snapshotOf(GITHUB_POLICY), stripe: snapshotOf(STRIPE_POLICY) };
  const kind = { allow: "allow", deny: "deny", hold: "require_approval" } as const;

  it("has nine rows", () => {
    expect(COMPARISON).toHaveLength(9);
  });

  it.each(COMPARISON.map((row, i) => [i + 1, row.story, row] as const))(
    "row %i (%s) is what the engine decides",
    (_i, _story, row) => {
      const decision = evaluate(snapshots[row.server], {
        server: row.server,
        tool: row.tool,
        arguments: row.arguments,
        agentId: "agt_example",
        toolDefinition: { inputSchema: { type: "object" } },
        grants: [],
        counters: () => String(row.priorCalls),
        now: NOW,
      });
      expect(decision.kind).toBe(kind[row.outcome]);
      expect(decision.rule).toBe(row.rule);
      if (decision.kind === "deny") expect(decision.message).toBe(row.explanation);
      if (decision.kind === "require_approval") expect(decision.timeoutMs).toBe(30 * 60_000);
    },
  );
});
