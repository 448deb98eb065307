import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { canonicalJson } from "./canonical-json";

// The form every stored hash was computed with: the output for a value must never change.
function reference(value: unknown, seen = new Set<object>()): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "null";
    case "bigint":
      return value.toString();
    case "object":
      break;
    default:
      return "null";
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (seen.has(value)) throw new TypeError("circular");
  seen.add(value);
  let out: string;
  if (Array.isArray(value)) {
    out = `[${value.map((v) => reference(v, seen)).join(",")}]`;
  } else {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    out = `{${keys.map((k) => `${JSON.stringify(k)}:${reference(obj[k], seen)}`).join(",")}}`;
  }
  seen.delete(value);
  return out;
}

const leaf = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.date({ noInvalidDate: true }),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small" }, leaf, tie("array"), tie("object")),
  array: fc.oneof(fc.array(tie("node")), fc.sparseArray(tie("node"))),
  object: fc.dictionary(fc.string({ unit: "binary" }), tie("node")),
})).node;

describe("canonicalJson", () => {
  it("writes every value exactly as the form the stored hashes were computed with", () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(reference(v));
      }),
      { numRuns: 2000 },
    );
  });

  it("sorts keys by code unit, drops undefined members and keeps holes empty", () => {
    const sparse = [1, , 3];
    expect(canonicalJson({ b: 1, a: undefined, B: [sparse, undefined], é: new Date(0) })).toBe(
      '{"B":[[1,,3],null],"b":1,"é":"1970-01-01T00:00:00.000Z"}',
    );
  });

  it("refuses a circular structure but accepts a value shared by two members", () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"x":1},"b":[{"x":1}]}');
    const loop: Record<string, unknown> = {};
    loop.self = { loop };
    expect(() => canonicalJson(loop)).toThrow(/circular/);
  });
});
