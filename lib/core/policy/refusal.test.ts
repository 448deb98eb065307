import { describe, expect, it } from "vitest";

import { call, snapshotOf } from "./fake-store.test-helper";
import { refusalResult } from "./refusal";
import { auditArgumentsMode, visibleTools } from "./visible-tools";

describe("refusalResult", () => {
  it("prefixes the message and carries the decision facts", () => {
    const result = refusalResult(
      {
        kind: "deny",
        cause: "rate_limit",
        rule: "hourly",
        reason: "rate limit 5/hour",
        message: "Rate limit of 5 per hour reached. Try again later.",
        retryAfterSeconds: 42,
      },
      "evt_123",
    );
    expect(result).toEqual({
      content: [
        {
          type: "text",
          text: "[POLICY DENIED] Rate limit of 5 per hour reached. Try again later. (decision evt_123)",
        },
      ],
      isError: true,
      _meta: {
        "portcullis/decision": {
          decisionId: "evt_123",
          rule: "hourly",
          reason: "rate limit 5/hour",
          cause: "rate_limit",
          retryAfterSeconds: 42,
        },
      },
    });
  });
  it("never carries structuredContent, so it is a valid result for a tool with an outputSchema", () => {
    for (const cause of ["hidden", "rate_limit", "internal"] as const) {
      const result = refusalResult(
        { kind: "deny", cause, rule: null, reason: "r", message: "m" },
        "d",
      );
      expect(Object.keys(result).sort()).toEqual(["_meta", "content", "isError"]);
      expect(Object.keys(result._meta)).toEqual(["portcullis/decision"]);
      // What an SDK client checks against the tool's output schema: absent for a refusal.
      expect("structuredContent" in result).toBe(false);
      expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    }
  });
  it("omits retryAfterSeconds when there is none", () => {
    const result = refusalResult(
      {
        kind: "deny",
        cause: "hidden",
        rule: null,
        reason: "r",
        message: 'Tool "x" is hidden by policy',
      },
      "d",
    );
    expect(result._meta["portcullis/decision"]).not.toHaveProperty("retryAfterSeconds");
    expect(result.content[0].text).toBe(
      '[POLICY DENIED] Tool "x" is hidden by policy (decision d)',
    );
  });
});

describe("visibleTools", () => {
  const tools = ["get_me", "list_issues", "create_issue", "delete_repo", "admin_x"].map((name) => ({
    name,
    description: name,
  }));
  const names = (list: { name: string }[]) => list.map((t) => t.name);

  it("drops hidden tools and tools denied by a grant under default allow", () => {
    const snap = snapshotOf('version: "1"\nhide: ["admin_*"]\n');
    const grants = [{ id: "g", effect: "deny" as const, toolPattern: "delete_*" }];
    expect(names(visibleTools(snap, tools, grants, 0))).toEqual([
      "get_me",
      "list_issues",
      "create_issue",
    ]);
  });
  it("keeps only listed or granted tools under default deny; expired grants do not count", () => {
    const snap = snapshotOf(
      'version: "1"\ndefault: deny\ntools:\n  get_me:\n  list_*:\n  "*":\n    rules:\n      - rate_limit: 5/minute\n',
    );
    const grants = [
      { id: "a", effect: "allow" as const, toolPattern: "create_issue" },
      { id: "b", effect: "allow" as const, toolPattern: "delete_repo", expiresAt: 100 },
    ];
    expect(names(visibleTools(snap, tools, grants, 100))).toEqual([
      "get_me",
      "list_issues",
      "create_issue",
    ]);
    expect(names(visibleTools(snap, tools, grants, 99))).toEqual([
      "get_me",
      "list_issues",
      "create_issue",
      "delete_repo",
    ]);
  });
  it('hides everything under hide: ["*"]', () => {
    expect(visibleTools(snapshotOf('version: "1"\nhide: ["*"]\n'), tools, [], 0)).toEqual([]);
  });
  it("agrees with evaluate on what may be called", () => {
    const snap = snapshotOf(
      'version: "1"\ndefault: deny\nhide: [get_me]\ntools:\n  get_me:\n  list_issues:\n',
    );
    const visible = names(visibleTools(snap, tools, [], 0));
    for (const t of tools)
      expect(call(snap, t.name).kind === "allow").toBe(visible.includes(t.name));
  });
});

describe("auditArgumentsMode", () => {
  it("defaults to redacted", () => {
    expect(auditArgumentsMode(snapshotOf('version: "1"\n'))).toBe("redacted");
    expect(auditArgumentsMode(snapshotOf('version: "1"\naudit: { arguments: hash }\n'))).toBe(
      "hash",
    );
  });
});
