import { describe, expect, it } from "vitest";

import type { Grant } from "./decision";
import {
  effectivePermissions,
  type EffectivePermission,
  type EffectiveToolInput,
} from "./effective";
import { evaluate } from "./evaluate";
import { snapshotOf } from "./fake-store.test-helper";

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const HOUR = 3_600_000;

const POLICY = `version: "1"
default: deny
hide: [get-env]
tools:
  echo:
  get-sum:
    rules:
      - name: sum cap
        rate_limit: 5/hour
  gzip-file-as-resource:
    rules:
      - name: small files only
        conditions:
          - { path: args.name, op: regex, value: "^[a-z]+$" }
  trigger-long-running-operation:
    rules:
      - name: a person decides
        action: require_approval
      - rate_limit: 2/minute
        scope: shared
  toggle-*:
    rules:
      - name: no toggles
        action: deny
`;

const TOOLS = [
  "echo",
  "get-env",
  "get-sum",
  "get-tiny-image",
  "gzip-file-as-resource",
  "toggle-simulated-logging",
  "trigger-long-running-operation",
].map((name) => ({ name, toolDefinition: { inputSchema: { type: "object" } } }));

function verdicts(
  grants: Grant[] = [],
  policy = POLICY,
  tools: readonly EffectiveToolInput[] = TOOLS,
) {
  const list = effectivePermissions({
    snapshot: snapshotOf(policy),
    server: "everything",
    agentId: "agt_1",
    grants,
    tools,
    now: NOW,
  });
  return Object.fromEntries(list.map((v) => [v.tool, v])) as Record<string, EffectivePermission>;
}

describe("effectivePermissions", () => {
  it("gives every tool of the server a verdict in the engine's terms", () => {
    const v = verdicts();
    expect(v.echo).toMatchObject({
      visible: true,
      decision: "allowed",
      decidedBy: { kind: "listed" },
      limits: [],
    });
    expect(v["get-env"]).toMatchObject({
      visible: false,
      decision: "denied",
      decidedBy: { kind: "hide", entry: "get-env" },
    });
    expect(v["get-tiny-image"]).toMatchObject({
      visible: false,
      decision: "denied",
      decidedBy: { kind: "default", posture: "deny" },
    });
    expect(v["toggle-simulated-logging"]).toMatchObject({
      visible: true,
      decision: "denied",
      decidedBy: { kind: "rule", rule: "no toggles" },
      summary: 'Refused by rule "no toggles"',
    });
  });

  it("lists the limits a call is charged against, with their scope", () => {
    const v = verdicts();
    expect(v["get-sum"]).toMatchObject({
      decision: "allowed",
      decidedBy: { kind: "rule", rule: "sum cap" },
      limits: [{ rule: "sum cap", text: "calls at most 5 per hour", scope: "agent" }],
    });
    expect(v["get-sum"]?.summary).toBe('Allowed by rule "sum cap", within 1 limit');
  });

  it("shows approval, and the limits past it", () => {
    const v = verdicts()["trigger-long-running-operation"];
    expect(v).toMatchObject({ decision: "approval", visible: true });
    expect(v?.limits).toEqual([
      {
        rule: "trigger-long-running-operation#1",
        text: "calls at most 2 per minute",
        scope: "shared",
      },
    ]);
    expect(v?.rules.map((r) => r.name)).toEqual([
      "a person decides",
      "trigger-long-running-operation#1",
    ]);
  });

  it("calls a tool whose rules read the arguments conditional, with the rules in words", () => {
    const v = verdicts()["gzip-file-as-resource"];
    expect(v?.decision).toBe("conditional");
    expect(v?.rules[0]?.text).toContain("args.name matches /^[a-z]+$/");
  });

  it("names the allow grant that lets an unlisted tool through, and when it expires", () => {
    const v = verdicts([
      { id: "grt_a", effect: "allow", toolPattern: "get-*", expiresAt: NOW + HOUR },
      { id: "grt_old", effect: "allow", toolPattern: "get-tiny-image", expiresAt: NOW - 1 },
    ])["get-tiny-image"];
    expect(v).toMatchObject({
      visible: true,
      decision: "allowed",
      decidedBy: { kind: "grant", grantId: "grt_a", effect: "allow" },
      expiresAt: NOW + HOUR,
    });
    // The expired grant is not live, so it is not listed.
    expect(v?.grants.map((g) => g.id)).toEqual(["grt_a"]);
  });

  it("lets a grant's own limit replace the policy's per-agent rate limit, as the engine does", () => {
    const v = verdicts([
      {
        id: "grt_sum",
        effect: "allow",
        toolPattern: "get-sum",
        rateLimit: { max: 100, windowSeconds: 60 },
      },
    ])["get-sum"];
    expect(v?.limits).toEqual([
      { rule: "grant:grt_sum", text: "calls at most 100 in any 60 s", scope: "agent" },
    ]);
  });

  it("a deny grant wins over the policy and hides the tool; no grant lifts hide", () => {
    const v = verdicts([
      { id: "grt_no", effect: "deny", toolPattern: "echo", expiresAt: NOW + 2 * HOUR },
      { id: "grt_env", effect: "allow", toolPattern: "get-env" },
    ]);
    expect(v.echo).toMatchObject({
      visible: false,
      decision: "denied",
      decidedBy: { kind: "grant", grantId: "grt_no", effect: "deny" },
      expiresAt: NOW + 2 * HOUR,
    });
    expect(v["get-env"]).toMatchObject({ visible: false, decision: "denied" });
  });

  it("refuses a quarantined tool before the policy runs", () => {
    const [v] = effectivePermissions({
      snapshot: snapshotOf(POLICY),
      server: "everything",
      agentId: "agt_1",
      grants: [],
      tools: [{ name: "echo", quarantined: true }],
      now: NOW,
    });
    expect(v).toMatchObject({
      visible: false,
      decision: "denied",
      decidedBy: { kind: "quarantine" },
    });
  });

  it("under default: allow, an unlisted tool is allowed by the default", () => {
    const v = verdicts([], 'version: "1"\n')["echo"];
    expect(v).toMatchObject({
      decision: "allowed",
      decidedBy: { kind: "default", posture: "allow" },
    });
    expect(v?.summary).toBe("Allowed (default: allow)");
  });

  describe("a tool whose rules read the arguments", () => {
    const policy = `version: "1"
tools:
  echo:
    rules:
      - name: no secrets
        conditions:
          - { path: args.message, op: not_regex, value: "secret" }
      - name: echo cap
        rate_limit: 10/minute
      - name: server total
        rate_limit: 100/hour
        scope: shared
`;
    const engineLimits = (grants: Grant[]) => {
      const d = evaluate(snapshotOf(policy), {
        server: "everything",
        tool: "echo",
        arguments: { message: "hello" },
        agentId: "agt_1",
        grants,
        counters: () => "0",
        now: NOW,
      });
      return d.kind === "allow" ? d.reservations.map((r) => r.rule).sort() : [];
    };

    it("lists the limits a passing call is charged, the same ones the engine reserves", () => {
      const v = verdicts([], policy, [{ name: "echo", toolDefinition: { inputSchema: {} } }]).echo;
      expect(v?.decision).toBe("conditional");
      expect(v?.limits).toEqual([
        { rule: "echo cap", text: "calls at most 10 per minute", scope: "agent" },
        { rule: "server total", text: "calls at most 100 per hour", scope: "shared" },
      ]);
      expect(v?.limits.map((l) => l.rule).sort()).toEqual(engineLimits([]));
    });

    it("drops the per-agent cap a grant's own limit replaces, as the engine does", () => {
      const grants: Grant[] = [
        {
          id: "grt_e",
          effect: "allow",
          toolPattern: "echo",
          rateLimit: { max: 50, windowSeconds: 60 },
        },
      ];
      const v = verdicts(grants, policy, [{ name: "echo" }]).echo;
      expect(v?.limits.map((l) => l.rule).sort()).toEqual(engineLimits(grants));
      expect(v?.limits.map((l) => l.rule).sort()).toEqual(["grant:grt_e", "server total"]);
    });
  });
});
