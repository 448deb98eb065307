import { describe, expect, it } from "vitest";

import { evaluate, loadPolicy, parsePolicy } from "../policy";
import { classifyTool } from "./classify";
import filesystem from "./fixtures/server-filesystem.tools.json";
import memory from "./fixtures/server-memory.tools.json";
import { recommendedRule } from "./recommend";
import { renderStarterPolicy } from "./starter-policy";

describe("recommendedRule", () => {
  it.each([
    ["Read", { action: "allow" }],
    ["Write", { action: "allow", rate_limit: { max: 30, window: 60 } }],
    ["Other", { action: "allow", rate_limit: { max: 30, window: 60 } }],
    [
      "Execute",
      { action: "allow", rate_limit: { max: 10, window: 60 }, validate: { required_args: true } },
    ],
  ] as const)("%s", (category, rule) => {
    expect(recommendedRule(category)).toEqual(rule);
  });
  it.each(["Destructive", "Financial"] as const)("%s denies with a reason", (category) => {
    expect(recommendedRule(category)).toMatchObject({ action: "deny", reason: expect.any(String) });
  });
});

describe("renderStarterPolicy", () => {
  const yaml = renderStarterPolicy(
    [...memory, ...filesystem, { name: "wipe_*", description: "odd name\nwith newline" }],
    { description: "memory + filesystem" },
  );

  it("produces a valid policy listing every tool with its recommended rule", () => {
    const parsed = parsePolicy(yaml);
    expect(parsed.ok, JSON.stringify(!parsed.ok && parsed.errors)).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.policy.default).toBe("deny");
    expect(parsed.policy.description).toBe("memory + filesystem");
    expect(parsed.policy.tools).toHaveLength(memory.length + filesystem.length + 1);
    const deleteEntities = parsed.policy.tools.find((t) => t.key === "delete_entities");
    expect(deleteEntities?.rules[0]?.action).toBe("deny");
    const write = parsed.policy.tools.find((t) => t.key === "write_file");
    expect(write?.rules[0]?.rateLimit).toEqual({ kind: "rolling", max: 30, windowSeconds: 60 });
  });

  it("writes descriptions and verdicts as comments", () => {
    expect(yaml).toContain("# Read the entire knowledge graph");
    expect(yaml).toContain("# risk: Destructive (critical)");
    expect(yaml).toMatch(/^# Starter policy/);
    expect(yaml).toContain("# odd name with newline");
  });

  it("enforces what it recommends", () => {
    const loaded = loadPolicy(yaml);
    if (!loaded.ok) throw new Error("did not load");
    const base = { server: "s", agentId: "a", grants: [], counters: () => "0", now: 0 };
    expect(evaluate(loaded.snapshot, { ...base, tool: "read_graph", arguments: {} }).kind).toBe(
      "allow",
    );
    expect(
      evaluate(loaded.snapshot, { ...base, tool: "delete_entities", arguments: {} }).kind,
    ).toBe("deny");
    expect(evaluate(loaded.snapshot, { ...base, tool: "unknown_tool", arguments: {} }).kind).toBe(
      "deny",
    );
    expect(classifyTool({ name: "read_graph" }).category).toBe("Read");
  });
});
