import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { canonicalJson } from "./canonical-json";
import { findNonFinite, formatJsonPath, mapOwnEntries, setOwnKey } from "./json-safety";

describe("findNonFinite", () => {
  it("finds a number that parsed to Infinity, with its path", () => {
    expect(findNonFinite(JSON.parse('{"a": 1e309}'))).toEqual(["a"]);
    expect(findNonFinite(JSON.parse('{"x": [1, {"y": -1e999}]}'))).toEqual(["x", 1, "y"]);
    expect(findNonFinite(JSON.parse('{"__proto__": {"n": 2e308}}'))).toEqual(["__proto__", "n"]);
    expect(findNonFinite(JSON.parse("[0, [[1e400]]]"))).toEqual([1, 0, 0]);
    expect(findNonFinite(NaN)).toEqual([]);
    expect(findNonFinite({ a: Number.NEGATIVE_INFINITY })).toEqual(["a"]);
  });

  it("reports the first one in document order", () => {
    expect(findNonFinite(JSON.parse('{"a": {"b": 1, "c": 1e309}, "d": 1e309}'))).toEqual([
      "a",
      "c",
    ]);
  });

  it("accepts finite extremes and anything that is not a number", () => {
    const text =
      '{"max": 1.7976931348623157e308, "min": -1.7976931348623157e308, "tiny": 5e-324, "under": 1e-400, "s": "1e309", "n": null, "b": true, "o": {}, "l": []}';
    expect(findNonFinite(JSON.parse(text))).toBeNull();
    expect(findNonFinite("Infinity")).toBeNull();
    expect(findNonFinite(null)).toBeNull();
  });

  it("walks a value far deeper than the call stack allows recursion", () => {
    const depth = 200_000;
    const deep = JSON.parse(`${"[".repeat(depth)}1e309${"]".repeat(depth)}`) as unknown;
    const path = findNonFinite(deep);
    expect(path).toHaveLength(depth);
    expect(findNonFinite(JSON.parse(`${"[".repeat(depth)}1${"]".repeat(depth)}`))).toBeNull();
  });

  it("finds nothing in any value that survives a JSON round trip", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(findNonFinite(JSON.parse(JSON.stringify(v)))).toBeNull();
      }),
      { numRuns: 200 },
    );
  });
});

describe("formatJsonPath", () => {
  it("writes identifiers with dots, other keys quoted, indexes in brackets", () => {
    expect(formatJsonPath([])).toBe("$");
    expect(formatJsonPath(["params", "arguments", "a"])).toBe("$.params.arguments.a");
    expect(formatJsonPath(["a.b", 0, "__proto__", "ключ", ""])).toBe(
      '$["a.b"][0].__proto__["ключ"][""]',
    );
  });
  it("shortens long keys", () => {
    const shown = formatJsonPath(["k".repeat(10_000)]);
    expect(shown.length).toBeLessThan(80);
    expect(shown).toBe(`$["${"k".repeat(64)}…"]`);
  });
});

describe("setOwnKey and mapOwnEntries", () => {
  it("keep __proto__ as an own key instead of setting the prototype", () => {
    const out: Record<string, unknown> = {};
    setOwnKey(out, "__proto__", { polluted: true });
    expect(Object.keys(out)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true}}');
  });

  it("copy every own key, in order, through the mapping", () => {
    const source = JSON.parse('{"__proto__": 1, "constructor": 2, "toString": 3, "a": 4}');
    const copy = mapOwnEntries(source, (v) => (v as number) * 10);
    expect(Object.keys(copy)).toEqual(["__proto__", "constructor", "toString", "a"]);
    expect(canonicalJson(copy)).toBe('{"__proto__":10,"a":40,"constructor":20,"toString":30}');
  });
});
