import { describe, expect, it } from "vitest";

import type { Decision, Grant } from "./decision";
import { evaluate } from "./evaluate";
import { call, FakeCounterStore, snapshotOf } from "./fake-store.test-helper";

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const grant = (g: Partial<Grant> & Pick<Grant, "effect" | "toolPattern">): Grant => ({
  id: `grt_${g.toolPattern}`,
  ...g,
});

function expectDeny(d: Decision, cause: string, message?: string) {
  expect(d.kind).toBe("deny");
  if (d.kind !== "deny") return;
  expect(d.cause).toBe(cause);
  if (message !== undefined) expect(d.message).toBe(message);
}

describe("hide", () => {
  const snap = snapshotOf(
    'version: "1"\nhide: [delete_repository, "admin_*"]\ntools:\n  delete_repository:\n    rules:\n      - action: allow\n',
  );
  it.each(["delete_repository", "admin_reset"])(
    "refuses hidden tool %s before anything else",
    (tool) => {
      expectDeny(
        call(snap, tool, { grants: [grant({ effect: "allow", toolPattern: tool })] }),
        "hidden",
        `Tool "${tool}" is hidden by policy`,
      );
    },
  );
  it("leaves other tools alone", () => {
    expect(call(snap, "list_repos").kind).toBe("allow");
  });
  it('hides everything with "*"', () => {
    const all = snapshotOf('version: "1"\nhide: ["*"]\n');
    expectDeny(call(all, "anything"), "hidden");
  });
});

describe("default posture", () => {
  const deny = snapshotOf(`version: "1"
default: deny
tools:
  get_me:
  list_*:
    rules:
      - rate_limit: 100/minute
  "*":
    rules:
      - rate_limit: 1000/minute
`);
  it("allows listed tools (exact, no rules) and glob-listed tools", () => {
    expect(call(deny, "get_me").kind).toBe("allow");
    expect(call(deny, "list_issues").kind).toBe("allow");
  });
  it('refuses unlisted tools: "*" never rescues them', () => {
    expectDeny(
      call(deny, "create_issue"),
      "not_permitted",
      'Tool "create_issue" is not permitted by policy',
    );
  });
  it("lets a grant rescue an unlisted tool", () => {
    expect(
      call(deny, "create_issue", { grants: [grant({ effect: "allow", toolPattern: "create_*" })] })
        .kind,
    ).toBe("allow");
  });
  it("ignores expired grants", () => {
    const expired = grant({ effect: "allow", toolPattern: "create_issue", expiresAt: NOW });
    expectDeny(call(deny, "create_issue", { grants: [expired], now: NOW }), "not_permitted");
    const live = grant({ effect: "allow", toolPattern: "create_issue", expiresAt: NOW + 1 });
    expect(call(deny, "create_issue", { grants: [live], now: NOW }).kind).toBe("allow");
  });
  it("allows unlisted tools under default allow", () => {
    expect(call(snapshotOf('version: "1"\n'), "whatever")).toEqual({
      kind: "allow",
      rule: null,
      reservations: [],
    });
  });
});

describe("grant precedence", () => {
  const snap = snapshotOf(
    'version: "1"\ndefault: allow\ntools:\n  push_files:\n    rules:\n      - action: allow\n',
  );
  it("an explicit deny grant wins over the policy and over allow grants", () => {
    const grants = [
      grant({ effect: "allow", toolPattern: "push_files" }),
      grant({ id: "grt_no", effect: "deny", toolPattern: "push_*" }),
    ];
    const d = call(snap, "push_files", { grants });
    expectDeny(d, "grant_deny", 'Tool "push_files" is not permitted by policy');
    expect(d.kind === "deny" && d.reason).toContain("grt_no");
  });
  it("an expired deny grant is ignored", () => {
    expect(
      call(snap, "push_files", {
        grants: [grant({ effect: "deny", toolPattern: "*", expiresAt: NOW - 1 })],
        now: NOW,
      }).kind,
    ).toBe("allow");
  });
  it("hide beats an allow grant, rules still apply to granted tools", () => {
    const s = snapshotOf(
      'version: "1"\ndefault: deny\nhide: [secret]\ntools:\n  "*":\n    rules:\n      - conditions: [{ path: args.ok, op: eq, value: true }]\n',
    );
    const grants = [grant({ effect: "allow", toolPattern: "*" })];
    expectDeny(call(s, "secret", { grants }), "hidden");
    expectDeny(call(s, "other", { grants, arguments: {} }), "condition");
    expect(call(s, "other", { grants, arguments: { ok: true } }).kind).toBe("allow");
  });
  it("a grant with its own limit replaces the policy's per-agent rate limits, not shared ones or spend caps", () => {
    const limited = snapshotOf(`version: "1"
tools:
  send:
    rules:
      - rate_limit: 1/hour
  spend:
    rules:
      - name: budget
        conditions: [{ path: state.spend.total, op: lte, value: 1 }]
        state: { counter: total, window: day }
  "*":
    rules:
      - rate_limit: 2/hour
        scope: shared
`);
    const store = new FakeCounterStore();
    const own = [
      grant({ effect: "allow", toolPattern: "*", rateLimit: { max: 5, windowSeconds: 3600 } }),
    ];
    const plain = [grant({ effect: "allow", toolPattern: "*" })];
    expect(call(limited, "send", { store, now: NOW }).kind).toBe("allow");
    expectDeny(call(limited, "send", { store, now: NOW + 1, grants: plain }), "rate_limit");
    expect(call(limited, "send", { store, now: NOW + 2, grants: own }).kind).toBe("allow");
    expectDeny(call(limited, "send", { store, now: NOW + 3, grants: own }), "rate_limit");
    const spendStore = new FakeCounterStore();
    expect(call(limited, "spend", { store: spendStore, now: NOW, grants: own }).kind).toBe("allow");
    expectDeny(
      call(limited, "spend", { store: spendStore, now: NOW + 1, grants: own }),
      "rate_limit",
    );
  });
  it("grant rate limits count per agent, on their own key", () => {
    const store = new FakeCounterStore();
    const grants = [
      grant({
        id: "grt_rl",
        effect: "allow",
        toolPattern: "push_files",
        rateLimit: { max: 2, windowSeconds: 60 },
      }),
    ];
    const results = [0, 1, 2].map(
      (i) => call(snap, "push_files", { grants, store, now: NOW + i * 1000 }).kind,
    );
    expect(results).toEqual(["allow", "allow", "deny"]);
    expect(
      call(snap, "push_files", { grants, store, now: NOW + 2000, agentId: "agt_2" }).kind,
    ).toBe("allow");
    const d = call(snap, "push_files", { grants, store, now: NOW + 3000 });
    expectDeny(d, "rate_limit", "Rate limit of 2 per 60 seconds reached. Try again later.");
    expect(d.kind === "deny" && d.retryAfterSeconds).toBe(57);
    expect(store.recorded.map((e) => e.key)).toContain(
      '["agent","agt_1","srv","grant.push_files._rate_60s"]',
    );
  });
});

describe("rule order and semantics", () => {
  const snap = snapshotOf(`version: "1"
tools:
  delete_file:
    rules:
      - name: exact first
        conditions: [{ path: args.path, op: regex, value: "^/tmp/" }]
        on_deny: "Only /tmp"
  delete_*:
    rules:
      - name: glob second
        conditions: [{ path: args.confirm, op: eq, value: true }]
  "*":
    rules:
      - name: star last
        conditions: [{ path: args.path, op: not_contains, value: ".." }]
  drop_table:
    rules:
      - name: no drops
        action: deny
`);
  it('runs the exact entry, then globs, then "*" and reports the first failing rule', () => {
    const first = call(snap, "delete_file", { arguments: { path: "/etc/x" } });
    expect(first).toMatchObject({
      kind: "deny",
      cause: "condition",
      rule: "exact first",
      message: "Only /tmp",
    });
    const second = call(snap, "delete_file", { arguments: { path: "/tmp/x" } });
    expect(second).toMatchObject({
      kind: "deny",
      rule: "glob second",
      message: 'Denied by rule "glob second"',
    });
    const third = call(snap, "delete_file", { arguments: { path: "/tmp/../etc", confirm: true } });
    expect(third).toMatchObject({ kind: "deny", rule: "star last" });
    expect(
      call(snap, "delete_file", { arguments: { path: "/tmp/a", confirm: true } }),
    ).toMatchObject({ kind: "allow", rule: "exact first" });
  });
  it("a deny rule refuses with its default message", () => {
    expect(call(snap, "drop_table")).toMatchObject({
      kind: "deny",
      cause: "rule",
      rule: "no drops",
      message: 'Denied by rule "no drops"',
    });
  });
  it("missing arguments fail neq / not_in / not_contains conditions", () => {
    expect(call(snap, "read_file", { arguments: {} }).kind).toBe("deny");
  });
  it("names unnamed rules <tool>#<index>", () => {
    const s = snapshotOf(
      'version: "1"\ntools:\n  t:\n    rules:\n      - rate_limit: 5/hour\n      - action: deny\n',
    );
    expect(call(s, "t")).toMatchObject({ kind: "deny", rule: "t#1" });
  });
});

describe("arguments", () => {
  const snap = snapshotOf('version: "1"\n');
  it.each([null, [], "text", 5, true])("refuses non-object arguments %j", (args) => {
    expectDeny(call(snap, "t", { arguments: args }), "invalid_arguments");
  });
  it("treats absent arguments as {}", () => {
    expect(call(snap, "t", { arguments: undefined }).kind).toBe("allow");
  });
});

describe("argument validation", () => {
  const snap = snapshotOf(`version: "1"
tools:
  create_issue:
    rules:
      - validate: { required_args: true }
  create_pr:
    rules:
      - validate: { schema: true }
`);
  const definition = {
    inputSchema: {
      type: "object",
      properties: {
        repo: { type: "string" },
        title: { type: "string", minLength: 3 },
        draft: { type: "boolean" },
      },
      required: ["repo", "title"],
      additionalProperties: false,
    },
  };
  it("required_args: refuses a missing or null required argument", () => {
    expectDeny(
      call(snap, "create_issue", { arguments: { repo: "a" }, toolDefinition: definition }),
      "invalid_arguments",
      'Invalid arguments: missing required argument "title"',
    );
    expectDeny(
      call(snap, "create_issue", {
        arguments: { repo: "a", title: null },
        toolDefinition: definition,
      }),
      "invalid_arguments",
    );
    expect(
      call(snap, "create_issue", {
        arguments: { repo: "a", title: "x" },
        toolDefinition: definition,
      }).kind,
    ).toBe("allow");
  });
  it("required_args: fails closed without a tool definition", () => {
    const d = call(snap, "create_issue", { arguments: { repo: "a", title: "x" } });
    expectDeny(d, "invalid_arguments");
    expect(d.kind === "deny" && d.reason).toContain("input schema is unknown");
  });
  it("schema: checks types, formats and extra properties", () => {
    expect(
      call(snap, "create_pr", {
        arguments: { repo: "a", title: "abc" },
        toolDefinition: definition,
      }).kind,
    ).toBe("allow");
    const short = call(snap, "create_pr", {
      arguments: { repo: "a", title: "ab" },
      toolDefinition: definition,
    });
    expect(short).toMatchObject({ kind: "deny", cause: "invalid_arguments" });
    expect(short.kind === "deny" && short.reason).toContain("argument title");
    expectDeny(
      call(snap, "create_pr", {
        arguments: { repo: "a", title: "abc", extra: 1 },
        toolDefinition: definition,
      }),
      "invalid_arguments",
    );
    expectDeny(
      call(snap, "create_pr", {
        arguments: { repo: "a", title: "abc", draft: "yes" },
        toolDefinition: definition,
      }),
      "invalid_arguments",
    );
  });
  it("schema: supports draft 2020-12 and fails closed on broken or missing schemas", () => {
    const modern = {
      inputSchema: {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        type: "object",
        properties: { n: { type: "integer" } },
      },
    };
    expect(call(snap, "create_pr", { arguments: { n: 1 }, toolDefinition: modern }).kind).toBe(
      "allow",
    );
    expectDeny(
      call(snap, "create_pr", { arguments: { n: 1.5 }, toolDefinition: modern }),
      "invalid_arguments",
    );
    expectDeny(
      call(snap, "create_pr", {
        arguments: {},
        toolDefinition: { inputSchema: { type: "no-such-type" } },
      }),
      "invalid_arguments",
    );
    expectDeny(
      call(snap, "create_pr", { arguments: {}, toolDefinition: null }),
      "invalid_arguments",
    );
    expectDeny(
      call(snap, "create_pr", { arguments: {}, toolDefinition: { inputSchema: "nope" } }),
      "invalid_arguments",
    );
  });
  it("schema: two definitions sharing an $id do not clash", () => {
    const a = { inputSchema: { $id: "urn:x", type: "object", required: ["a"] } };
    const b = { inputSchema: { $id: "urn:x", type: "object", required: ["b"] } };
    expect(call(snap, "create_pr", { arguments: { a: 1 }, toolDefinition: a }).kind).toBe("allow");
    expect(call(snap, "create_pr", { arguments: { b: 1 }, toolDefinition: b }).kind).toBe("allow");
    expectDeny(
      call(snap, "create_pr", { arguments: { a: 1 }, toolDefinition: b }),
      "invalid_arguments",
    );
  });
});

describe("approvals", () => {
  const snap = snapshotOf(`version: "1"
tools:
  create_refund:
    rules:
      - name: big refunds
        action: require_approval
        conditions: [{ path: args.amount, op: gt, value: 10000 }]
        approval_timeout: 30m
      - name: currency
        conditions: [{ path: args.currency, op: in, value: [usd, eur] }]
      - name: per hour
        rate_limit: 2/hour
  wire_money:
    rules:
      - action: require_approval
`);
  it("parks a matching call, with its timeout", () => {
    expect(call(snap, "create_refund", { arguments: { amount: 20000, currency: "usd" } })).toEqual({
      kind: "require_approval",
      rule: "big refunds",
      timeoutMs: 1_800_000,
      reason: 'rule "big refunds" requires a human approval',
      reservations: [],
    });
  });
  it("lets a non-matching call through without approval", () => {
    expect(call(snap, "create_refund", { arguments: { amount: 50, currency: "usd" } }).kind).toBe(
      "allow",
    );
  });
  it("later rules still deny a call that needs approval", () => {
    expectDeny(
      call(snap, "create_refund", { arguments: { amount: 20000, currency: "gbp" } }),
      "condition",
    );
  });
  it("an approved call passes the approval rule and the remaining rules still apply", () => {
    const store = new FakeCounterStore();
    const args = { amount: 20000, currency: "usd" };
    expect(call(snap, "create_refund", { arguments: args, approved: true, store }).kind).toBe(
      "allow",
    );
    expect(
      call(snap, "create_refund", { arguments: args, approvedRule: "big refunds", store }).kind,
    ).toBe("allow");
    expectDeny(
      call(snap, "create_refund", { arguments: args, approved: true, store }),
      "rate_limit",
    );
    expectDeny(
      call(snap, "create_refund", { arguments: { ...args, currency: "gbp" }, approved: true }),
      "condition",
    );
  });
  it("approval of another rule does not count", () => {
    expect(
      call(snap, "create_refund", {
        arguments: { amount: 20000, currency: "usd" },
        approvedRule: "other",
      }).kind,
    ).toBe("require_approval");
  });
  it("an approval rule without conditions applies to every call, with the default timeout", () => {
    expect(call(snap, "wire_money")).toMatchObject({
      kind: "require_approval",
      rule: "wire_money#0",
      timeoutMs: 600_000,
    });
  });
});

describe("fail closed", () => {
  const snap = snapshotOf('version: "1"\ntools:\n  t:\n    rules:\n      - rate_limit: 5/minute\n');
  it("denies when the counter store returns garbage", () => {
    const d = evaluate(snap, {
      server: "s",
      tool: "t",
      arguments: {},
      agentId: "a",
      grants: [],
      counters: () => "lots",
      now: NOW,
    });
    expectDeny(d, "internal");
  });
  it("denies on a negative counter value", () => {
    const d = evaluate(snap, {
      server: "s",
      tool: "t",
      arguments: {},
      agentId: "a",
      grants: [],
      counters: () => "-3",
      now: NOW,
    });
    expectDeny(d, "internal");
  });
  it("propagates a counter store failure so the caller's transaction aborts", () => {
    const counters = () => {
      throw new Error("SQLITE_BUSY");
    };
    expect(() =>
      evaluate(snap, {
        server: "s",
        tool: "t",
        arguments: {},
        agentId: "a",
        grants: [],
        counters,
        now: NOW,
      }),
    ).toThrow("SQLITE_BUSY");
  });
  it("denies on a non-finite clock and a missing tool name", () => {
    expectDeny(
      evaluate(snap, {
        server: "s",
        tool: "t",
        arguments: {},
        agentId: "a",
        grants: [],
        counters: () => "0",
        now: Number.NaN,
      }),
      "internal",
    );
    expectDeny(
      evaluate(snap, {
        server: "s",
        tool: "",
        arguments: {},
        agentId: "a",
        grants: [],
        counters: () => "0",
        now: NOW,
      }),
      "invalid_arguments",
    );
  });
  it("denies on a grant with an invalid rate limit", () => {
    const grants: Grant[] = [
      { id: "g", effect: "allow", toolPattern: "t", rateLimit: { max: -1, windowSeconds: 60 } },
    ];
    expectDeny(
      evaluate(snap, {
        server: "s",
        tool: "t",
        arguments: {},
        agentId: "a",
        grants,
        counters: () => "0",
        now: NOW,
      }),
      "internal",
    );
  });
});
