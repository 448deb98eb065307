import type { Decision } from "./decision";
import type { CompiledRule, PolicySnapshot } from "./snapshot";
import type { AuditArgumentsMode } from "./types";

/**
 * Where an audit row's stored arguments differ from what the agent sent: `all` (only a hash or a
 * digest of an over-size body was kept) or the argument paths whose values were masked or cut.
 * The formats are those the audit writer produces under `audit.arguments: redacted`.
 */
export type ArgumentGaps = "all" | readonly (readonly string[])[];

const MASKED = "[REDACTED]";
const TOO_DEEP = "[nested too deep]";
const CUT_STRING = /…\[\+\d+ chars\]$/;
const CUT_LIST = /^…\[\+\d+ items\]$/;
const DIGEST_KEYS = ["alg", "bytes", "digest", "truncated"];

function isDigest(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value).sort();
  return (
    (keys.length === 2 && keys[0] === "alg" && keys[1] === "digest") ||
    (keys.length === 4 && keys.every((k, i) => k === DIGEST_KEYS[i]) && value.truncated === true)
  );
}

/** The stored arguments as an object (null when none survive) and where they are incomplete. */
export function storedArgumentGaps(
  stored: unknown,
  mode: AuditArgumentsMode | string | null,
): { args: Record<string, unknown> | null; gaps: ArgumentGaps } {
  if (stored === null || typeof stored !== "object" || Array.isArray(stored))
    return { args: null, gaps: "all" };
  const record = stored as Record<string, unknown>;
  if (mode === "hash" || isDigest(record)) return { args: null, gaps: "all" };
  if (mode === "full") return { args: record, gaps: [] };
  const gaps: string[][] = [];
  walk(record, [], gaps);
  return { args: record, gaps };
}

function walk(value: unknown, path: string[], gaps: string[][]): void {
  if (typeof value === "string") {
    if (value === MASKED || value === TOO_DEEP || CUT_STRING.test(value)) gaps.push(path);
    return;
  }
  if (value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    const last: unknown = value[value.length - 1];
    if (typeof last === "string" && CUT_LIST.test(last)) {
      gaps.push(path);
      return;
    }
    value.forEach((v, i) => walk(v, [...path, String(i)], gaps));
    return;
  }
  for (const [k, v] of Object.entries(value)) walk(v, [...path, k], gaps);
}

const overlaps = (a: readonly string[], b: readonly string[]) =>
  a.length <= b.length ? a.every((s, i) => b[i] === s) : b.every((s, i) => a[i] === s);

function readsGap(rule: CompiledRule, gaps: ArgumentGaps): boolean {
  const paths = [
    ...rule.conditions.flatMap((c) => (c.kind === "args" ? [c.segments] : [])),
    ...rule.amountsFrom.map((a) => a.segments),
  ];
  if (gaps === "all") return paths.length > 0 || rule.validate !== null;
  if (gaps.length === 0) return false;
  if (rule.validate?.schema) return true;
  return paths.some((p) => gaps.some((g) => overlaps(p, g)));
}

/** Names of the rules applying to `tool` that read an argument the audit row does not hold. */
export function rulesReadingGaps(
  snapshot: PolicySnapshot,
  tool: string,
  gaps: ArgumentGaps,
): string[] {
  if (gaps !== "all" && gaps.length === 0) return [];
  return snapshot
    .resolve(tool)
    .rules.filter((r) => readsGap(r, gaps))
    .map((r) => r.name);
}

/** Refusals made before any rule runs: arguments the audit row lacks cannot matter to them. */
const BEFORE_RULES = new Set(["hidden", "not_permitted", "grant_deny"]);

/**
 * Whether `decision` could be different had the rules in `blocked` (those reading a missing
 * argument) seen the real arguments: false only for a refusal made before any of them ran.
 */
export function decisionRestsOnGaps(
  snapshot: PolicySnapshot,
  tool: string,
  decision: Decision,
  blocked: readonly string[],
): boolean {
  if (blocked.length === 0) return false;
  if (decision.kind !== "deny") return true;
  if (decision.rule === null) return !BEFORE_RULES.has(decision.cause);
  const order = snapshot.resolve(tool).rules.map((r) => r.name);
  const first = Math.min(...blocked.map((b) => order.indexOf(b)).filter((i) => i >= 0));
  const at = order.indexOf(decision.rule);
  return !(at >= 0 && at < first && decision.cause !== "rate_limit");
}
