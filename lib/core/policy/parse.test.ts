import { describe, expect, it } from "vitest";

import { parsePolicy } from "./parse";
import type { PolicyIssue } from "./types";

function errorsOf(yaml: string): PolicyIssue[] {
  const result = parsePolicy(yaml);
  if (result.ok) throw new Error("expected validation errors");
  return result.errors;
}

const tool = (rules: string) => `version: "1"\ntools:\n  t:\n    rules:\n${rules}`;

describe("parsePolicy: accepted shapes", () => {
  it("accepts the full reference example", () => {
    const result = parsePolicy(`
version: "1"
description: "GitHub server"
default: allow
hide: [delete_repository]
audit:
  arguments: redacted
tools:
  create_issue:
    rules:
      - name: hourly cap
        rate_limit: 5/hour
        on_deny: "Five issues an hour"
  ecs_resource_management:
    rules:
      - action: allow
        rate_limit: { max: 10, window: 60 }
        validate: { required_args: true }
  delete_*:
    rules:
      - action: deny
        reason: "Deletion needs a human"
  create_refund:
    rules:
      - action: require_approval
        conditions: [{ path: args.amount, op: gt, value: 10000 }]
        approval_timeout: 30m
  "*":
    rules:
      - rate_limit: 60/minute
        scope: shared
`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { policy } = result;
    expect(policy.description).toBe("GitHub server");
    expect(policy.hide).toEqual(["delete_repository"]);
    expect(policy.tools.map((t) => [t.key, t.kind])).toEqual([
      ["create_issue", "exact"],
      ["ecs_resource_management", "exact"],
      ["delete_*", "glob"],
      ["create_refund", "exact"],
      ["*", "all"],
    ]);
    const [issue, ecs, del, refund, all] = policy.tools;
    expect(issue?.rules[0]).toMatchObject({
      name: "hourly cap",
      action: "allow",
      onDeny: "Five issues an hour",
      rateLimit: { kind: "calendar", count: 5, unit: "hour" },
    });
    expect(ecs?.rules[0]).toMatchObject({
      name: "ecs_resource_management#0",
      action: "allow",
      rateLimit: { kind: "rolling", max: 10, windowSeconds: 60 },
      validate: { requiredArgs: true, schema: false },
    });
    expect(del?.rules[0]).toMatchObject({ action: "deny", onDeny: "Deletion needs a human" });
    expect(refund?.rules[0]).toMatchObject({
      action: "require_approval",
      approvalTimeoutMs: 30 * 60_000,
    });
    expect(all?.rules[0]).toMatchObject({
      scope: "shared",
      rateLimit: { kind: "calendar", count: 60, unit: "minute" },
    });
  });

  it.each(['version: "1"', "version: 1"])("accepts %s", (line) => {
    const result = parsePolicy(`${line}\n`);
    expect(result.ok).toBe(true);
    if (result.ok)
      expect(result.policy).toMatchObject({
        version: "1",
        default: "allow",
        hide: [],
        audit: { arguments: "redacted" },
        tools: [],
      });
  });

  it.each(["full", "redacted", "hash"])("accepts audit.arguments %s", (mode) => {
    const result = parsePolicy(`version: "1"\naudit:\n  arguments: ${mode}\n`);
    expect(result.ok && result.policy.audit.arguments).toBe(mode);
  });

  it("accepts tool entries without rules (listing a tool under default deny)", () => {
    const result = parsePolicy(
      'version: "1"\ndefault: deny\ntools:\n  get_me:\n  list_issues: { rules: [] }\n',
    );
    expect(result.ok && result.policy.tools.map((t) => t.rules.length)).toEqual([0, 0]);
  });

  it("infers the action from the rule's content", () => {
    const result = parsePolicy(
      tool(`      - conditions: [{ path: args.a, op: eq, value: 1 }]
      - validate: { schema: true }
      - state: { counter: spend, window: day, increment_from: args.amount }
        conditions: [{ path: state.t.spend, op: lt, value: 100 }]
`),
    );
    expect(result.ok && result.policy.tools[0]?.rules.map((r) => r.action)).toEqual([
      "evaluate",
      "allow",
      "evaluate",
    ]);
  });

  it("accepts state as a list and with a fixed increment", () => {
    const result = parsePolicy(
      tool(`      - state:
          - { counter: calls, window: hour, increment: 2.5 }
          - { counter: spend, window: day, increment_from: args.amount }
        conditions:
          - { path: state.t.calls, op: lte, value: 10 }
          - { path: state.t.spend, op: lt, value: 500 }
`),
    );
    expect(result.ok && result.policy.tools[0]?.rules[0]?.state).toEqual([
      { counter: "calls", window: "hour", increment: 2.5, incrementFrom: null },
      { counter: "spend", window: "day", increment: null, incrementFrom: "args.amount" },
    ]);
  });

  it('names state counters under "*" as _global', () => {
    const result = parsePolicy(`version: "1"
tools:
  "*":
    rules:
      - state: { counter: calls, window: day }
        conditions: [{ path: state._global.calls, op: lte, value: 1000 }]
`);
    expect(result.ok).toBe(true);
  });

  it.each([
    ["90s", 90_000],
    ["10m", 600_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
  ])("parses approval_timeout %s", (text, ms) => {
    const result = parsePolicy(
      tool(`      - action: require_approval\n        approval_timeout: ${text}\n`),
    );
    expect(result.ok && result.policy.tools[0]?.rules[0]?.approvalTimeoutMs).toBe(ms);
  });

  it("returns warnings for settings without effect", () => {
    const result = parsePolicy(
      tool(
        `      - name: a\n        conditions: [{ path: args.a, op: exists, value: true }]\n        scope: shared\n      - name: a\n        validate: { required_args: false }\n`,
      ),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings.map((w) => w.message)).toEqual([
      "scope has no effect on a rule without rate_limit or state",
      'duplicate rule name "a"',
      "validate has no effect: enable required_args or schema",
    ]);
  });
});

describe("parsePolicy: validation errors", () => {
  type Case = [string, string, string, string];
  const cases: Case[] = [
    ["version 2", "version: 2\n", "version", 'version must be "1"'],
    ["missing version", "default: allow\n", "version", 'version must be "1"'],
    ["default", 'version: "1"\ndefault: maybe\n', "default", 'default must be "allow" or "deny"'],
    [
      "audit",
      'version: "1"\naudit: { arguments: none }\n',
      "audit.arguments",
      'audit.arguments must be "full", "redacted" or "hash"',
    ],
    ["action", tool("      - action: block\n"), "tools.t.rules[0].action", "action must be"],
    [
      "deny with conditions",
      tool("      - action: deny\n        conditions: [{ path: args.a, op: eq, value: 1 }]\n"),
      "tools.t.rules[0]",
      "deny rules must not have conditions",
    ],
    [
      "evaluate without conditions",
      tool("      - action: evaluate\n"),
      "tools.t.rules[0]",
      "evaluate rules must have at least one condition",
    ],
    [
      "rule with a name only",
      tool("      - name: lonely\n"),
      "tools.t.rules[0]",
      "evaluate rules must have at least one condition",
    ],
    [
      "bad path",
      tool("      - conditions: [{ path: arguments.a, op: eq, value: 1 }]\n"),
      "tools.t.rules[0].conditions[0].path",
      'path must start with "args." or "state."',
    ],
    [
      "unknown operator",
      tool("      - conditions: [{ path: args.a, op: equals, value: 1 }]\n"),
      "tools.t.rules[0].conditions[0].op",
      "unknown operator",
    ],
    [
      "in without list",
      tool("      - conditions: [{ path: args.a, op: in, value: a }]\n"),
      "tools.t.rules[0].conditions[0].value",
      "requires a list value",
    ],
    [
      "lt with string",
      tool('      - conditions: [{ path: args.a, op: lt, value: "10" }]\n'),
      "tools.t.rules[0].conditions[0].value",
      "requires a numeric value",
    ],
    [
      "exists with string",
      tool("      - conditions: [{ path: args.a, op: exists, value: yes }]\n"),
      "tools.t.rules[0].conditions[0].value",
      "requires a boolean value",
    ],
    [
      "regex not a string",
      tool("      - conditions: [{ path: args.a, op: regex, value: 5 }]\n"),
      "tools.t.rules[0].conditions[0].value",
      "regex value must be a string",
    ],
    [
      "regex syntax",
      tool('      - conditions: [{ path: args.a, op: regex, value: "([a-z" }]\n'),
      "tools.t.rules[0].conditions[0].value",
      "invalid regex",
    ],
    [
      "regex redos",
      tool('      - conditions: [{ path: args.a, op: regex, value: "^(a+)+$" }]\n'),
      "tools.t.rules[0].conditions[0].value",
      "invalid regex",
    ],
    [
      "empty counter",
      tool(
        '      - state: { counter: "", window: day }\n        conditions: [{ path: state.t.x, op: lte, value: 1 }]\n',
      ),
      "tools.t.rules[0].state.counter",
      "counter must not be empty",
    ],
    [
      "state window",
      tool(
        "      - state: { counter: c, window: week }\n        conditions: [{ path: state.t.c, op: lte, value: 1 }]\n",
      ),
      "tools.t.rules[0].state.window",
      'window must be "minute", "hour", or "day"',
    ],
    [
      "increment_from",
      tool(
        "      - state: { counter: c, window: day, increment_from: amount }\n        conditions: [{ path: state.t.c, op: lte, value: 1 }]\n",
      ),
      "tools.t.rules[0].state.increment_from",
      'increment_from must start with "args."',
    ],
    [
      "no matching state",
      tool(
        "      - state: { counter: c, window: day }\n        conditions: [{ path: state.t.c, op: lte, value: 1 }, { path: state.t.other, op: lte, value: 1 }]\n",
      ),
      "tools.t.rules[0].conditions",
      "no matching state block",
    ],
    [
      "state of another tool",
      tool(
        "      - state: { counter: c, window: day }\n        conditions: [{ path: state.u.c, op: lte, value: 1 }]\n",
      ),
      "tools.t.rules[0].conditions",
      "no matching state block",
    ],
    [
      "unbounded counter",
      tool(
        "      - state: { counter: c, window: day }\n        conditions: [{ path: args.a, op: exists, value: true }]\n",
      ),
      "tools.t.rules[0].state",
      "has no upper bound",
    ],
    [
      "state lower bound",
      tool(
        "      - state: { counter: c, window: day }\n        conditions: [{ path: state.t.c, op: gt, value: 1 }]\n",
      ),
      "tools.t.rules[0].conditions[0].op",
      'state conditions must use "lt" or "lte"',
    ],
    [
      "rate_limit count",
      tool("      - rate_limit: 0/hour\n"),
      "tools.t.rules[0].rate_limit",
      "rate_limit count must be a positive integer",
    ],
    [
      "rate_limit fraction",
      tool("      - rate_limit: 1.5/hour\n"),
      "tools.t.rules[0].rate_limit",
      "rate_limit count must be a positive integer",
    ],
    [
      "rate_limit window",
      tool("      - rate_limit: 5/week\n"),
      "tools.t.rules[0].rate_limit",
      "rate_limit window must be",
    ],
    [
      "rate_limit with conditions",
      tool(
        "      - rate_limit: 5/hour\n        conditions: [{ path: args.a, op: exists, value: true }]\n",
      ),
      "tools.t.rules[0].rate_limit",
      "rate_limit cannot be combined with conditions or state",
    ],
    [
      "rate_limit with deny",
      tool("      - action: deny\n        rate_limit: 5/hour\n"),
      "tools.t.rules[0].rate_limit",
      'rate_limit cannot be used with action "deny"',
    ],
    [
      "rate_limit object max",
      tool("      - rate_limit: { max: 0, window: 60 }\n"),
      "tools.t.rules[0].rate_limit.max",
      "rate_limit max must be a positive integer",
    ],
    [
      "rate_limit object window",
      tool("      - rate_limit: { max: 5, window: -1 }\n"),
      "tools.t.rules[0].rate_limit.window",
      "rate_limit window must be",
    ],
    [
      "rate_limit object key",
      tool("      - rate_limit: { max: 5, windw: 60 }\n"),
      "tools.t.rules[0].rate_limit.windw",
      'did you mean "window"',
    ],
    [
      "duplicate counter",
      tool(
        "      - state: { counter: c, window: day }\n        conditions: [{ path: state.t.c, op: lte, value: 1 }]\n      - state: { counter: c, window: hour }\n        conditions: [{ path: state.t.c, op: lte, value: 1 }]\n",
      ),
      "tools.t.rules[1].state.counter",
      "duplicate state counter",
    ],
    ["hide empty", 'version: "1"\nhide: [a, ""]\n', "hide[1]", "hide[1]: entry must not be empty"],
    ["hide duplicate", 'version: "1"\nhide: [a, b, a]\n', "hide[2]", "hide: duplicate entry"],
    [
      "approval_timeout",
      tool("      - action: require_approval\n        approval_timeout: soon\n"),
      "tools.t.rules[0].approval_timeout",
      "invalid approval_timeout duration",
    ],
    [
      "approval_timeout zero",
      tool("      - action: require_approval\n        approval_timeout: 0s\n"),
      "tools.t.rules[0].approval_timeout",
      "invalid approval_timeout duration",
    ],
    [
      "approval_timeout on allow",
      tool("      - action: allow\n        approval_timeout: 5m\n"),
      "tools.t.rules[0].approval_timeout",
      'approval_timeout requires action "require_approval"',
    ],
    [
      "unknown top key",
      'version: "1"\ndefualt: deny\n',
      "defualt",
      'unknown key "defualt" (did you mean "default"?)',
    ],
    [
      "unknown rule key",
      tool("      - conditons: [{ path: args.a, op: eq, value: 1 }]\n"),
      "tools.t.rules[0].conditons",
      'did you mean "conditions"',
    ],
    [
      "unknown condition key",
      tool("      - conditions: [{ path: args.a, op: eq, vaule: 1 }]\n"),
      "tools.t.rules[0].conditions[0].vaule",
      'did you mean "value"',
    ],
    [
      "unknown entry key",
      'version: "1"\ntools:\n  t:\n    rule: []\n',
      "tools.t.rule",
      'did you mean "rules"',
    ],
    [
      "on_deny and reason",
      tool("      - action: deny\n        on_deny: a\n        reason: b\n"),
      "tools.t.rules[0].reason",
      "use either on_deny or reason",
    ],
    [
      "scope",
      tool("      - rate_limit: 1/day\n        scope: global\n"),
      "tools.t.rules[0].scope",
      'scope must be "agent" or "shared"',
    ],
    [
      "duplicate key",
      'version: "1"\ndefault: allow\ndefault: deny\n',
      "default",
      'duplicate key "default"',
    ],
    [
      "eq without value",
      tool("      - conditions: [{ path: args.a, op: eq }]\n"),
      "tools.t.rules[0].conditions[0]",
      'operator "eq" requires a value',
    ],
  ];

  it.each(cases)("%s", (_label, yaml, path, phrase) => {
    const errors = errorsOf(yaml);
    const match = errors.find((e) => e.path === path && e.message.includes(phrase));
    expect(match, JSON.stringify(errors)).toBeDefined();
    expect(match?.line).toBeGreaterThan(0);
    expect(match?.column).toBeGreaterThan(0);
  });

  it("reports every problem at once, in file order, with line and column", () => {
    const errors = errorsOf(`version: "2"
default: sometimes
tools:
  t:
    rules:
      - action: deny
        conditions: [{ path: args.a, op: eq, value: 1 }]
      - conditions:
          - { path: args.a, op: between, value: 1 }
`);
    expect(errors.map((e) => [e.path, e.line, e.column])).toEqual([
      ["version", 1, 10],
      ["default", 2, 10],
      ["tools.t.rules[0]", 6, 9],
      ["tools.t.rules[1].conditions[0].op", 9, 33],
    ]);
  });

  it("reports YAML syntax errors with a position and no policy", () => {
    const errors = errorsOf('version: "1"\ntools: [unclosed\n');
    expect(errors[0]?.message).toMatch(/^YAML syntax error/);
    expect(errors[0]?.line).toBeGreaterThan(0);
  });

  it("refuses an empty document and a non-mapping document", () => {
    expect(errorsOf("")[0]?.message).toContain("policy is empty");
    expect(errorsOf("- a\n- b\n")[0]?.message).toBe("policy must be a mapping");
  });

  it("reports duplicate keys deep inside rules with their path", () => {
    const errors = errorsOf(tool("      - name: a\n        name: b\n        rate_limit: 1/day\n"));
    expect(errors).toContainEqual(
      expect.objectContaining({
        path: "tools.t.rules[0].name",
        line: 6,
        message: 'duplicate key "name"',
      }),
    );
  });
});

describe("parsePolicy: duplicate keys in condition values", () => {
  it("reports them with their path", () => {
    const errors = errorsOf(
      tool("      - conditions: [{ path: args.a, op: eq, value: { x: 1, x: 2 } }]\n"),
    );
    expect(errors).toContainEqual(
      expect.objectContaining({
        path: "tools.t.rules[0].conditions[0].value.x",
        message: 'duplicate key "x"',
      }),
    );
  });
  it("reports duplicate tool entries", () => {
    const errors = errorsOf('version: "1"\ntools:\n  a:\n  b:\n  a:\n');
    expect(errors).toEqual([
      expect.objectContaining({
        path: "tools.a",
        line: 5,
        column: 3,
        message: 'duplicate key "a"',
      }),
    ]);
  });
});
