import fs from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { locateRule } from "./locate-rule";

const yaml = fs.readFileSync(
  path.join(import.meta.dirname, "..", "..", "..", "db", "seed", "everything-policy.yaml"),
  "utf8",
);
const lineOf = (needle: string) => yaml.split("\n").findIndex((l) => l.includes(needle)) + 1;

describe("locateRule", () => {
  it("finds a named rule's lines", () => {
    const loc = locateRule(yaml, "no long-running operations");
    expect(loc?.tool).toBe("trigger-long-running-operation");
    expect(loc?.startLine).toBe(lineOf("name: no long-running operations"));
    expect(loc?.endLine).toBe(lineOf("reason: Long operations"));
  });

  it("finds an unnamed rule by <tool>#<index>", () => {
    const text =
      'version: "1"\ntools:\n  echo:\n    rules:\n      - rate_limit: 5/minute\n      - action: deny\n';
    expect(locateRule(text, "echo#1")).toEqual({
      tool: "echo",
      index: 1,
      startLine: 6,
      endLine: 6,
    });
  });

  it("returns null for rules that are not in the text", () => {
    expect(locateRule(yaml, "grant:grt_x")).toBeNull();
    expect(locateRule("not: [valid", "x")).toBeNull();
  });
});
