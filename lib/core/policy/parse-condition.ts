import { compilePredicate } from "./operators";
import { parsePath, type StatePath } from "./paths";
import { nearest } from "./suggest";
import { CONDITION_OPS, type Condition, type ConditionOp } from "./types";
import type { PolicyReader, ReaderNode } from "./yaml-reader";

const CONDITION_KEYS = ["path", "op", "value"] as const;
const NEEDS_VALUE: ReadonlySet<ConditionOp> = new Set(["eq", "neq", "contains", "not_contains"]);

export type ParsedCondition = {
  condition: Condition;
  state: StatePath | null;
  node: ReaderNode;
  /** Where the condition is (`tools.t.rules[0].conditions[1]`) and its `op` node, for later checks. */
  path: string;
  opNode: ReaderNode;
};

/** Operators a `state.` condition may use: it compares a counter, a number, with a number. */
export const STATE_OPS: readonly ConditionOp[] = ["lt", "lte", "gt", "gte", "eq", "neq"];

const isOp = (op: string): op is ConditionOp => (CONDITION_OPS as readonly string[]).includes(op);

/** Validates one `{path, op, value}`; state-path conditions are checked against their rule later. */
export function parseCondition(
  r: PolicyReader,
  path: string,
  node: ReaderNode,
): ParsedCondition | null {
  const entries = r.entries(path, node, CONDITION_KEYS, "condition");
  if (!entries || !node) return null;
  const get = (k: string) => entries.find((e) => e.key === k);
  const pathEntry = get("path");
  const opEntry = get("op");
  const valueEntry = get("value");
  let ok = true;

  let parsedPath: ReturnType<typeof parsePath> | null = null;
  const rawPath = pathEntry ? r.scalar(pathEntry.value) : undefined;
  if (!pathEntry) {
    r.error(path, node, "path is required");
    ok = false;
  } else if (typeof rawPath !== "string") {
    r.error(`${path}.path`, pathEntry.value, 'path must start with "args." or "state."');
    ok = false;
  } else {
    parsedPath = parsePath(rawPath);
    if ("error" in parsedPath) {
      r.error(`${path}.path`, pathEntry.value, parsedPath.error);
      ok = false;
    }
  }

  let op: ConditionOp | null = null;
  const rawOp = opEntry ? r.scalar(opEntry.value) : undefined;
  if (!opEntry) {
    r.error(path, node, "op is required");
    ok = false;
  } else if (typeof rawOp !== "string" || !isOp(rawOp)) {
    const guess = typeof rawOp === "string" ? nearest(rawOp, CONDITION_OPS) : null;
    const shown = typeof rawOp === "string" ? `"${rawOp}"` : String(rawOp);
    r.error(
      `${path}.op`,
      opEntry.value,
      `unknown operator ${shown}${guess ? ` (did you mean "${guess}"?)` : ` (valid: ${CONDITION_OPS.join(", ")})`}`,
    );
    ok = false;
  } else {
    op = rawOp;
  }
  if (!ok || op === null || parsedPath === null || "error" in parsedPath) return null;

  if (valueEntry) r.checkDuplicateKeys(`${path}.value`, valueEntry.value);
  const errorsBefore = r.errors.length;
  const value = valueEntry ? r.toJS(`${path}.value`, valueEntry.value) : undefined;
  if (r.errors.length > errorsBefore) return null;
  const valueNode = valueEntry?.value ?? node;
  const opNode = opEntry?.value ?? node;
  if (parsedPath.kind === "state") {
    // Whether the counter is this rule's own (lt/lte only) or one it reads is settled by the rule.
    if (!STATE_OPS.includes(op)) {
      r.error(
        `${path}.op`,
        opNode,
        `state conditions compare numbers: use ${STATE_OPS.join(", ")}, not "${op}"`,
      );
      return null;
    }
    if (typeof value !== "number" || !Number.isFinite(value)) {
      r.error(`${path}.value`, valueNode, `operator "${op}" requires a numeric value`);
      return null;
    }
    return {
      condition: { path: parsedPath.text, op, value },
      state: parsedPath,
      node,
      path,
      opNode,
    };
  }
  if (!valueEntry && NEEDS_VALUE.has(op)) {
    r.error(path, node, `operator "${op}" requires a value`);
    return null;
  }
  try {
    compilePredicate(op, value);
  } catch (err) {
    r.error(`${path}.value`, valueNode, err instanceof Error ? err.message : "invalid value");
    return null;
  }
  return { condition: { path: parsedPath.text, op, value }, state: null, node, path, opNode };
}
