import { describe, expect, it } from "vitest";

import { compilePredicate } from "./operators";
import { MISSING, parsePath, resolveArgPath } from "./paths";
import type { ConditionOp } from "./types";

type Row = [ConditionOp, unknown, unknown, boolean];

const rows: Row[] = [
  ["eq", 100, 100, true],
  ["eq", 100, 100.0, true],
  ["eq", 100, "100", false],
  ["eq", "100", 100, false],
  ["eq", 0, -0, true],
  ["eq", 1, Number.NaN, false],
  ["eq", true, true, true],
  ["eq", true, "true", false],
  ["eq", null, null, true],
  ["eq", null, MISSING, false],
  ["eq", "a", MISSING, false],
  ["eq", [1, "a"], [1, "a"], true],
  ["eq", [1, "a"], ["1", "a"], false],
  ["eq", { a: 1 }, { a: 1 }, true],
  ["eq", { a: 1 }, { a: 1, b: 2 }, false],
  ["eq", { a: 1 }, [1], false],
  ["neq", 100, "100", true],
  ["neq", 100, 100, false],
  ["neq", "x", MISSING, false],
  ["neq", "x", null, true],
  ["in", ["a", "b"], "a", true],
  ["in", ["a", "b"], "c", false],
  ["in", [1, 2], "1", false],
  ["in", [1, 2], 2, true],
  ["in", [null], null, true],
  ["in", ["a"], MISSING, false],
  ["not_in", ["a", "b"], "c", true],
  ["not_in", ["a", "b"], "a", false],
  ["not_in", ["a"], MISSING, false],
  ["not_in", [1], "1", true],
  ["lt", 10, 9.5, true],
  ["lt", 10, 10, false],
  ["lt", 10, "5", false],
  ["lt", 10, Number.NaN, false],
  ["lt", 10, -Infinity, false],
  ["lt", 10, null, false],
  ["lt", 10, false, false],
  ["lt", 10, MISSING, false],
  ["lte", 10, 10, true],
  ["lte", 10, 10.0001, false],
  ["lte", 10, [5], false],
  ["gt", 10, 11, true],
  ["gt", 10, 10, false],
  ["gt", 10, Infinity, false],
  ["gt", 10, "11", false],
  ["gt", 10, true, false],
  ["gte", 10, 10, true],
  ["gte", 10, 9, false],
  ["gte", -1, 0, true],
  ["regex", "^main$", "main", true],
  ["regex", "^main$", "mainline", false],
  ["regex", "secret", "my-secret-key", true],
  ["regex", "^\\d+$", 123, false],
  ["regex", "^a", MISSING, false],
  ["regex", "(?i)^drop", "DROP table", true],
  ["not_regex", "^main$", "dev", true],
  ["not_regex", "^main$", "main", false],
  ["not_regex", "^main$", 5, false],
  ["not_regex", "^main$", MISSING, false],
  ["contains", "rm -rf", "sudo rm -rf /", true],
  ["contains", "rm -rf", "ls", false],
  ["contains", "a", ["a", "b"], true],
  ["contains", 1, [1, 2], true],
  ["contains", 1, ["1"], false],
  ["contains", 1, "123", false],
  ["contains", "a", 5, false],
  ["contains", "a", MISSING, false],
  ["not_contains", "rm", "ls -la", true],
  ["not_contains", "rm", "rm x", false],
  ["not_contains", "x", ["a"], true],
  ["not_contains", "x", ["x"], false],
  ["not_contains", "x", MISSING, false],
  ["not_contains", "x", 3, false],
  ["exists", true, "v", true],
  ["exists", true, 0, true],
  ["exists", true, false, true],
  ["exists", true, null, false],
  ["exists", true, MISSING, false],
  ["exists", false, MISSING, true],
  ["exists", false, null, true],
  ["exists", false, "", false],
];

describe("operators", () => {
  it.each(rows)("%s %j against %j → %s", (op, expected, actual, result) => {
    expect(compilePredicate(op, expected)(actual)).toBe(result);
  });

  it.each<[ConditionOp, unknown, string]>([
    ["in", "a", "requires a list value"],
    ["not_in", 3, "requires a list value"],
    ["lt", "10", "requires a numeric value"],
    ["gte", Number.NaN, "requires a numeric value"],
    ["gt", Infinity, "requires a numeric value"],
    ["lte", null, "requires a numeric value"],
    ["exists", "yes", "requires a boolean value"],
    ["regex", 5, "regex value must be a string"],
    ["regex", "(", "invalid regex"],
    ["not_regex", "^(a+)+$", "invalid regex"],
    ["regex", "(x+x+)+y", "invalid regex"],
  ])("rejects %s with value %j", (op, value, phrase) => {
    expect(() => compilePredicate(op, value)).toThrow(phrase);
  });

  it("accepts common safe regexes, including unanchored ones", () => {
    for (const pattern of [
      "drop\\s+table",
      "^[a-z0-9_-]{1,64}$",
      "^(main|master|release/.*)$",
      "[\\w-]+@example\\.com",
    ]) {
      expect(() => compilePredicate("regex", pattern)).not.toThrow();
    }
  });
});

describe("paths", () => {
  const args = {
    a: { b: 1, "c.d": 2 },
    items: [{ id: "x" }, { id: "y" }],
    "a.b": 3,
    n: null,
    u: undefined,
  };
  it.each<[string, unknown]>([
    ["args.a.b", 1],
    ['args.a["c.d"]', 2],
    ["args['a.b']", 3],
    ['args["a.b"]', 3],
    ["args.items.1.id", "y"],
    ["args.items.2.id", MISSING],
    ["args.items.01", MISSING],
    ["args.items.-1", MISSING],
    ["args.items.length", MISSING],
    ["args.a.b.c", MISSING],
    ["args.n", null],
    ["args.n.x", MISSING],
    ["args.u", MISSING],
    ["args.constructor", MISSING],
    ["args.__proto__", MISSING],
    ["args.a.toString", MISSING],
    ["args.missing", MISSING],
  ])("%s resolves to %j", (text, expected) => {
    const path = parsePath(text);
    if ("error" in path || path.kind !== "args") throw new Error("bad path");
    expect(resolveArgPath(args, path.segments)).toBe(expected);
  });

  it.each(["foo.a", "args", "argsx.a", "args..a", "args[a]", 'args["a', "state.x"])(
    "rejects %s",
    (text) => {
      expect("error" in parsePath(text)).toBe(true);
    },
  );

  it("splits state paths at the last dot so globbed entry names work", () => {
    expect(parsePath("state.delete_*.count")).toEqual({
      kind: "state",
      text: "state.delete_*.count",
      entry: "delete_*",
      counter: "count",
    });
  });
});
