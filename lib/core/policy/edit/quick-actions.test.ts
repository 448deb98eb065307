import { describe, expect, it } from "vitest";

import { AppError } from "../../errors";
import { recommendedRule } from "../../risk/recommend";
import { describeToolPolicy } from "../describe";
import { parsePolicy } from "../parse";
import type { Policy } from "../types";
import { applyQuickAction, type QuickAction, RATE_LIMIT_PRESETS } from "./quick-actions";

const POLICY = `# Policy for the GitHub server.
# Owned by the platform team; review changes in #platform.
version: "1"
description: "GitHub server"
default: deny          # unlisted tools are refused
hide:
  - delete_repository  # never offered to agents
audit:
  arguments: redacted

tools:
  # Reads are free.
  get_issue:

  create_issue:
    rules:
      - name: hourly cap
        rate_limit: 5/hour
        on_deny: "Five issues an hour"   # agents match on this text

  merge_pull_request:
    rules:
      - name: merges are off
        action: deny
        reason: "Merging needs a human"

  "delete_*":
    rules:
      - action: deny
        reason: "Deletion needs a human"
`;

const COMMENTS = POLICY.split("\n")
  .map((l) => l.slice(l.indexOf("#")).trim())
  .filter((c) => c.startsWith("#") && !c.startsWith('#"'));

function valid(yaml: string): Policy {
  const parsed = parsePolicy(yaml);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.policy;
}

const apply = (tool: string, action: QuickAction, text = POLICY) =>
  applyQuickAction(text, tool, action);

/** Lines of `after` that are not in `before` (a multiset difference), and the reverse. */
function changedLines(before: string, after: string) {
  const count = (text: string) => {
    const m = new Map<string, number>();
    for (const l of text.split("\n")) m.set(l, (m.get(l) ?? 0) + 1);
    return m;
  };
  const a = count(before);
  const b = count(after);
  const diff = (x: Map<string, number>, y: Map<string, number>) =>
    [...x].flatMap(([l, n]) => Array(Math.max(0, n - (y.get(l) ?? 0))).fill(l) as string[]);
  return { added: diff(b, a), removed: diff(a, b) };
}

describe("applyQuickAction", () => {
  it("leaves a draft byte for byte as it was when the action changes nothing", () => {
    const result = apply("get_issue", { kind: "allow" });
    expect(result.changed).toBe(false);
    expect(result.yaml).toBe(POLICY);
  });

  it("deny puts a deny rule first, keeps the tool's other rules and every comment", () => {
    const result = apply("create_issue", { kind: "deny", reason: "Issue tracker frozen" });
    const { added, removed } = changedLines(POLICY, result.yaml);
    expect(removed).toEqual([]);
    expect(added).toEqual([
      "      - name: create_issue switched off",
      "        action: deny",
      "        reason: Issue tracker frozen",
    ]);
    for (const c of COMMENTS) expect(result.yaml).toContain(c);
    const policy = valid(result.yaml);
    expect(describeToolPolicy(policy, "create_issue").verdict).toBe("denied");
    expect(policy.tools.find((t) => t.key === "create_issue")?.rules.map((r) => r.name)).toEqual([
      "create_issue switched off",
      "hourly cap",
    ]);
  });

  it("allow removes the tool's own deny rule and lists an unlisted tool", () => {
    const merged = valid(apply("merge_pull_request", { kind: "allow" }).yaml);
    expect(describeToolPolicy(merged, "merge_pull_request").verdict).toBe("allowed");

    const listed = apply("list_commits", { kind: "allow" });
    expect(describeToolPolicy(valid(listed.yaml), "list_commits").verdict).toBe("allowed");
    expect(changedLines(POLICY, listed.yaml).removed).toEqual([]);
    // A new entry follows the file's layout: a blank line before it, like the others.
    expect(listed.yaml.endsWith('reason: "Deletion needs a human"\n\n  list_commits:\n')).toBe(
      true,
    );
  });

  it("allow says what it cannot lift: a glob's deny rule still refuses the tool", () => {
    const result = apply("delete_branch", { kind: "allow" });
    expect(result.notes).toEqual([
      'Still refused by rule "delete_*#0" of the entry "delete_*", which covers other tools too',
    ]);
    expect(describeToolPolicy(valid(result.yaml), "delete_branch").verdict).toBe("denied");
  });

  it("hide adds the tool to the hide list; unhide takes it out again, restoring the text", () => {
    const hidden = apply("create_issue", { kind: "hide" });
    expect(changedLines(POLICY, hidden.yaml)).toEqual({
      added: ["  - create_issue"],
      removed: [],
    });
    expect(describeToolPolicy(valid(hidden.yaml), "create_issue").verdict).toBe("hidden");
    expect(apply("create_issue", { kind: "unhide" }, hidden.yaml).yaml).toBe(POLICY);
  });

  it("hide creates the hide list before tools when the policy has none", () => {
    const text = 'version: "1"\n# the tools\ntools:\n  echo:\n';
    const result = apply("echo", { kind: "hide" }, text);
    expect(result.yaml).toBe('version: "1"\nhide:\n  - echo\n# the tools\ntools:\n  echo:\n');
    valid(result.yaml);
  });

  it("unhide of the last entry leaves an empty list, and notes a pattern that still hides", () => {
    const only = apply("delete_repository", { kind: "unhide" });
    expect(only.yaml).toContain("hide: []\n");
    expect(describeToolPolicy(valid(only.yaml), "delete_repository").verdict).toBe("denied");

    const text = 'version: "1"\nhide: ["admin_*", admin_users]\n';
    const result = apply("admin_users", { kind: "unhide" }, text);
    expect(result.yaml).toBe('version: "1"\nhide: ["admin_*"]\n');
    expect(result.notes).toEqual([
      'Still hidden by the hide entry "admin_*", which covers other tools too',
    ]);
  });

  it("a rate-limit preset replaces the tool's limit, or adds a rule when it has none", () => {
    const replaced = apply("create_issue", { kind: "rate_limit", limit: "30/minute" });
    expect(changedLines(POLICY, replaced.yaml)).toEqual({
      added: ["        rate_limit: 30/minute"],
      removed: ["        rate_limit: 5/hour"],
    });
    const added = valid(apply("get_issue", { kind: "rate_limit", limit: "100/hour" }).yaml);
    expect(added.tools.find((t) => t.key === "get_issue")?.rules[0]).toMatchObject({
      name: "get_issue rate limit",
      rateLimit: { kind: "calendar", count: 100, unit: "hour" },
    });
    for (const limit of RATE_LIMIT_PRESETS)
      valid(apply("merge_pull_request", { kind: "rate_limit", limit }).yaml);
  });

  it("require approval adds one unconditional approval rule, once", () => {
    const first = apply("merge_pull_request", { kind: "require_approval" });
    const policy = valid(first.yaml);
    const d = describeToolPolicy(policy, "merge_pull_request");
    expect(d.verdict).toBe("approval");
    expect(d.headline).toBe("Every call waits for a person's approval");
    const again = apply("merge_pull_request", { kind: "require_approval" }, first.yaml);
    expect(again.changed).toBe(false);
    expect(again.summary).toBe("Every call of merge_pull_request already needs approval");
  });

  it("applying a recommendation replaces the tool's rules with the catalogue's short form", () => {
    const result = apply("create_issue", {
      kind: "recommendation",
      rule: recommendedRule("Execute"),
    });
    expect(result.yaml).toContain(
      "      - action: allow\n        rate_limit: { max: 10, window: 60 }\n        validate: { required_args: true }\n",
    );
    expect(result.summary).toBe(
      "create_issue follows the recommendation (allow, at most 10 in 60 s, required arguments); 1 earlier rule replaced",
    );
    const rules = valid(result.yaml).tools.find((t) => t.key === "create_issue")?.rules;
    expect(rules?.[0]).toMatchObject({
      action: "allow",
      rateLimit: { kind: "rolling", max: 10, windowSeconds: 60 },
      validate: { requiredArgs: true, schema: false },
    });
    // Comments outside the replaced rules survive.
    for (const c of COMMENTS.filter((c) => !c.includes("agents match")))
      expect(result.yaml).toContain(c);
  });

  it("a deny recommendation leaves a hidden tool hidden; an allow one shows it again", () => {
    const deny = apply("delete_repository", {
      kind: "recommendation",
      rule: recommendedRule("Destructive"),
    });
    expect(describeToolPolicy(valid(deny.yaml), "delete_repository").verdict).toBe("hidden");
    const allow = apply("delete_repository", {
      kind: "recommendation",
      rule: recommendedRule("Read"),
    });
    expect(describeToolPolicy(valid(allow.yaml), "delete_repository").verdict).toBe("denied");
    expect(allow.notes[0]).toContain('"delete_*"');
  });

  it("keeps a file's own layout: unindented lists, tight brackets, aligned comments", () => {
    const text = [
      "version: 1",
      "default: allow",
      "hide:",
      "- drop_table    # irreversible",
      "tools:",
      "  run_query:",
      "    rules:",
      "    - name: no writes",
      '      conditions: [{path: args.sql, op: not_regex, value: "(?i)^\\\\s*(insert|update|delete)"}]',
      "",
    ].join("\n");
    valid(text);
    const result = apply("run_query", { kind: "rate_limit", limit: "30/minute" }, text);
    expect(changedLines(text, result.yaml)).toEqual({
      added: ["    - name: run_query rate limit", "      rate_limit: 30/minute"],
      removed: [],
    });
    expect(valid(result.yaml).tools[0]?.rules).toHaveLength(2);
  });

  it("re-indents a 4-space file consistently, keeping its comments and meaning", () => {
    const text =
      'version: "1"\ntools:\n    echo:   # the echo tool\n        rules:\n            - rate_limit: 5/minute\n';
    const result = apply("echo", { kind: "deny" }, text);
    expect(result.yaml).toContain("# the echo tool");
    expect(valid(result.yaml).tools[0]?.rules.map((r) => r.action)).toEqual(["deny", "allow"]);
  });

  it("an empty draft becomes a valid default-deny policy", () => {
    const result = apply("echo", { kind: "allow" }, "");
    const policy = valid(result.yaml);
    expect(policy.default).toBe("deny");
    expect(describeToolPolicy(policy, "echo").verdict).toBe("allowed");
  });

  it("refuses to edit a draft with problems, with the parser's errors", () => {
    const bad = 'version: "1"\ndefault: maybe\n';
    expect(() => apply("echo", { kind: "deny" }, bad)).toThrow(AppError);
    try {
      apply("echo", { kind: "deny" }, bad);
    } catch (err) {
      expect((err as AppError).code).toBe("VALIDATION");
      expect(JSON.stringify((err as AppError).details)).toContain('default must be \\"allow\\"');
    }
    expect(() => apply("echo", { kind: "deny" }, "version: [1\n")).toThrow(/Fix the problems/);
    expect(() => apply(" ", { kind: "deny" })).toThrow("A tool name is required");
  });

  it("every action on every tool keeps the comments outside what it replaces and stays valid", () => {
    const actions: QuickAction[] = [
      { kind: "hide" },
      { kind: "deny" },
      { kind: "allow" },
      { kind: "require_approval" },
      ...RATE_LIMIT_PRESETS.map((limit) => ({ kind: "rate_limit" as const, limit })),
    ];
    for (const tool of ["get_issue", "create_issue", "merge_pull_request", "new_tool", "delete_x"])
      for (const action of actions) {
        const result = apply(tool, action);
        valid(result.yaml);
        for (const c of COMMENTS.filter((c) => !c.includes("never offered")))
          expect(result.yaml, `${tool} ${action.kind}`).toContain(c);
        expect(changedLines(POLICY, result.yaml).removed.every((l) => !l.includes("#"))).toBe(true);
      }
  });
});
