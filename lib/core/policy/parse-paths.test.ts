/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";

import { realisticPolicy } from "../../../bench/engine/policies";
import docs from "../../../docs/policy.md?raw";
import { renderStarterPolicy } from "../risk/starter-policy";
import memory from "../risk/fixtures/server-memory.tools.json";
import { parsePolicy, parseWithoutPositions, parseWithPositions } from "./parse";

const docBlocks = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");

const valid: Array<readonly [string, string]> = [
  ...docBlocks.map((b, i) => [`docs/policy.md block ${i}`, b] as const),
  ...[1, 20, 200].map((n) => [`benchmark policy, ${n} tools`, realisticPolicy(n)] as const),
  ["starter policy", renderStarterPolicy(memory)],
];

describe("plain fast path and positioned yaml path", () => {
  it("covers the docs examples", () => {
    expect(docBlocks.length).toBeGreaterThanOrEqual(6);
  });

  it.each(valid)("%s: the fast path accepts it and builds the same policy", (_name, text) => {
    const slow = parseWithPositions(text);
    expect(slow.ok ? [] : slow.errors).toEqual([]);
    const fast = parseWithoutPositions(text);
    expect(fast).not.toBeNull();
    expect(fast).toEqual(slow);
    expect(parsePolicy(text)).toEqual(slow);
  });

  const scalars = [
    "1_000",
    "0x1F",
    "0X1F",
    "0o17",
    "017",
    "0b101",
    "+12",
    "-0",
    "1e3",
    "1E-2",
    ".5",
    "1.",
    "-.inf",
    ".Inf",
    ".nan",
    ".NaN",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "True",
    "FALSE",
    "tRUE",
    "null",
    "Null",
    "NULL",
    "~",
    "1:30",
    "2001-12-14",
    "12:30:45",
    "0.",
    "+.5",
    "9007199254740993",
    "'quoted 12'",
    '"true"',
    "- x",
  ];
  it.each(scalars)("plain scalar %s reads the same on both paths", (scalar) => {
    const text = [
      'version: "1"',
      "tools:",
      "  t:",
      "    rules:",
      `      - conditions: [{ path: args.x, op: eq, value: ${scalar} }]`,
      `      - conditions: [{ path: args.y, op: in, value: [${scalar}] }]`,
      "",
    ].join("\n");
    const slow = parseWithPositions(text);
    const fast = parseWithoutPositions(text);
    if (fast !== null) expect(fast).toEqual(slow);
    expect(parsePolicy(text)).toEqual(slow);
  });

  it.each([
    ["an anchor and alias", 'version: "1"\nx: &a 1\ntools: *a\n'],
    ["a tag", "version: !!str 1\ntools: {}\n"],
    ["a custom tag", 'version: "1"\ntools:\n  t: !custom {}\n'],
    ["a YAML 1.1 directive", '%YAML 1.1\n---\nversion: "1"\ndefault: deny\n'],
    ["an explicit key", 'version: "1"\n? tools\n: {}\n'],
    ["a boolean key", 'version: "1"\ntools:\n  true: {}\n'],
    ["a null key", 'version: "1"\ntools:\n  ~: {}\n'],
    [
      "integer tool keys (whose JS object order differs)",
      'version: "1"\ntools:\n  "10": {}\n  "2": {}\n',
    ],
    ["a collection as a key", 'version: "1"\ntools:\n  [a, b]: {}\n'],
  ])("%s goes to the positioned path", (_name, text) => {
    expect(parseWithoutPositions(text)).toBeNull();
  });

  it("keeps integer-like tool keys in document order", () => {
    const parsed = parsePolicy('version: "1"\ntools:\n  "10": {}\n  "2": {}\n');
    expect(parsed.ok && parsed.policy.tools.map((t) => t.key)).toEqual(["10", "2"]);
  });

  it("still caps alias expansion", () => {
    const bomb = [
      'version: "1"',
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "tools:",
      "  t:",
      "    rules:",
      "      - conditions: [{ path: args.x, op: in, value: [*c, *c, *c, *c, *c, *c, *c, *c] }]",
      "",
    ].join("\n");
    expect(parseWithoutPositions(bomb)).toBeNull();
    const parsed = parsePolicy(bomb);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.errors).toContainEqual(
      expect.objectContaining({
        path: "tools.t.rules[0].conditions[0].value",
        line: 8,
        message: "value expands too many aliases (at most 100)",
      }),
    );
  });

  it("reports an invalid document's problems with line and column", () => {
    const text = [
      'version: "1"',
      "tools:",
      "  t:",
      "    rules:",
      "      - conditions: [{ path: args.x, op: eqq, value: 1 }]",
      "        scopee: shared",
      "",
    ].join("\n");
    expect(parseWithoutPositions(text)).toBeNull();
    const parsed = parsePolicy(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors).toEqual([
      expect.objectContaining({ path: "tools.t.rules[0].conditions[0].op", line: 5, column: 42 }),
      expect.objectContaining({ path: "tools.t.rules[0].scopee", line: 6, column: 9 }),
    ]);
  });

  it("reports duplicate keys with their position although the plain loader rejects them", () => {
    const text = 'version: "1"\ndefault: deny\ndefault: allow\n';
    expect(parseWithoutPositions(text)).toBeNull();
    expect(parsePolicy(text)).toEqual({
      ok: false,
      errors: [expect.objectContaining({ path: "default", line: 3, column: 1 })],
    });
  });

  it("reports a warning with its position, which the fast path never returns", () => {
    const text = 'version: "1"\ntools:\n  t:\n    rules:\n      - validate: {}\n';
    expect(parseWithoutPositions(text)).toBeNull();
    const parsed = parsePolicy(text);
    expect(parsed.ok && parsed.warnings).toEqual([
      expect.objectContaining({ path: "tools.t.rules[0].validate", line: 5, column: 19 }),
    ]);
  });
});
