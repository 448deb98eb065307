import { jsonEqual } from "./json-equal";
import { MISSING } from "./paths";
import { compileSafeRegex } from "./regex-safety";
import type { ConditionOp } from "./types";

/** Tests a resolved argument value (or MISSING). Never throws. */
export type Predicate = (value: unknown) => boolean;

const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * Builds the predicate for one operator. Throws a plain Error with a user-facing message when
 * the value does not suit the operator; the parser reports those messages as validation issues.
 */
export function compilePredicate(op: ConditionOp, expected: unknown): Predicate {
  switch (op) {
    case "eq":
      return (v) => v !== MISSING && jsonEqual(v, expected);
    case "neq":
      return (v) => v !== MISSING && !jsonEqual(v, expected);
    case "in":
    case "not_in": {
      if (!Array.isArray(expected)) throw new Error(`operator "${op}" requires a list value`);
      const list: readonly unknown[] = expected;
      const member = (v: unknown) => list.some((e) => jsonEqual(v, e));
      return op === "in" ? (v) => v !== MISSING && member(v) : (v) => v !== MISSING && !member(v);
    }
    case "lt":
    case "lte":
    case "gt":
    case "gte": {
      if (!isFiniteNumber(expected)) throw new Error(`operator "${op}" requires a numeric value`);
      const n = expected;
      if (op === "lt") return (v) => isFiniteNumber(v) && v < n;
      if (op === "lte") return (v) => isFiniteNumber(v) && v <= n;
      if (op === "gt") return (v) => isFiniteNumber(v) && v > n;
      return (v) => isFiniteNumber(v) && v >= n;
    }
    case "regex":
    case "not_regex": {
      if (typeof expected !== "string") throw new Error("regex value must be a string");
      const compiled = compileSafeRegex(expected);
      if (!compiled.ok) throw new Error(compiled.message);
      const re = compiled.regex;
      return op === "regex"
        ? (v) => typeof v === "string" && re.test(v)
        : (v) => typeof v === "string" && !re.test(v);
    }
    case "contains":
    case "not_contains": {
      const positive = op === "contains";
      return (v) => {
        if (typeof v === "string") {
          return typeof expected === "string" && v.includes(expected) === positive;
        }
        if (Array.isArray(v)) return v.some((e) => jsonEqual(e, expected)) === positive;
        return false;
      };
    }
    case "exists": {
      if (typeof expected !== "boolean")
        throw new Error(`operator "exists" requires a boolean value`);
      return expected ? (v) => v !== MISSING && v !== null : (v) => v === MISSING || v === null;
    }
  }
}
