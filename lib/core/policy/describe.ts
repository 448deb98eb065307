import { patternMatches } from "./glob";
import type { Condition, Policy, RateLimit, Rule, RuleAction } from "./types";

export type ToolVerdict =
  "hidden" | "not_listed" | "denied" | "approval" | "conditional" | "limited" | "allowed";

/** One rule that applies to a tool, in words, and the entry it comes from. */
export type RuleInWords = { entry: string; name: string; action: RuleAction; text: string };

/** What the policy does with one tool, for the structured view beside the YAML. */
export type ToolPolicyDescription = {
  verdict: ToolVerdict;
  headline: string;
  hiddenBy: string | null;
  /** Has an entry of its own under `tools` (globs and `"*"` do not count). */
  ownEntry: boolean;
  rules: RuleInWords[];
};

const OPS: Record<Condition["op"], string> = {
  eq: "is",
  neq: "is not",
  in: "is one of",
  not_in: "is none of",
  lt: "is less than",
  lte: "is at most",
  gt: "is more than",
  gte: "is at least",
  regex: "matches",
  not_regex: "does not match",
  contains: "contains",
  not_contains: "does not contain",
  exists: "is present",
};

function value(v: unknown): string {
  if (Array.isArray(v)) return v.map(value).join(", ");
  return typeof v === "string" ? `"${v}"` : JSON.stringify(v);
}

export function conditionInWords(c: Condition): string {
  if (c.op === "exists") return `${c.path} ${c.value === false ? "is absent" : "is present"}`;
  if (c.op === "regex" || c.op === "not_regex")
    return `${c.path} ${OPS[c.op]} /${String(c.value)}/`;
  return `${c.path} ${OPS[c.op]} ${value(c.value)}`;
}

export function durationInWords(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "min"],
    [1_000, "s"],
  ];
  const [size, unit] = units.find(([size]) => ms % size === 0) ?? [1, "ms"];
  return `${ms / size} ${unit}`;
}

export function rateLimitInWords(limit: RateLimit): string {
  return limit.kind === "calendar"
    ? `at most ${limit.count} call${limit.count === 1 ? "" : "s"} per ${limit.unit}`
    : `at most ${limit.max} call${limit.max === 1 ? "" : "s"} in any ${limit.windowSeconds} seconds`;
}

function joinAnd(parts: string[]): string {
  return parts.length <= 1
    ? (parts[0] ?? "")
    : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** One rule as a sentence: what it does, when, and what the agent is told. */
export function ruleInWords(rule: Rule): string {
  const when = joinAnd(rule.conditions.map(conditionInWords));
  const parts: string[] = [];
  switch (rule.action) {
    case "deny":
      parts.push("refuses every call");
      break;
    case "require_approval":
      parts.push(
        `${when ? `when ${when}, ` : "every call "}waits for a person's approval (up to ${durationInWords(rule.approvalTimeoutMs ?? 0)})`,
      );
      break;
    case "evaluate":
    case "allow":
      if (when) parts.push(`allows a call only when ${when}`);
      else if (!rule.rateLimit && !rule.validate && rule.state.length === 0)
        parts.push("allows every call");
  }
  if (rule.rateLimit) parts.push(rateLimitInWords(rule.rateLimit));
  for (const s of rule.state) {
    const by = s.incrementFrom ? `adding ${s.incrementFrom}` : `+${s.increment ?? 1} a call`;
    parts.push(`counts "${s.counter}" per ${s.window} (${by})`);
  }
  if (rule.validate?.requiredArgs) parts.push("requires the schema's required arguments");
  if (rule.validate?.schema) parts.push("checks the arguments against the tool's input schema");
  if ((rule.rateLimit || rule.state.length > 0) && rule.scope === "shared")
    parts.push("shares the count across all agents");
  const sentence = capitalise(joinAnd(parts));
  return rule.onDeny ? `${sentence}. Refusal says "${rule.onDeny}".` : `${sentence}.`;
}

/**
 * What a policy does with one tool, in the engine's order: `hide` first, then the rules of its
 * own entry, matching globs (file order) and `"*"`; under `default: deny` an unlisted tool is
 * refused unless a grant allows it.
 */
export function describeToolPolicy(policy: Policy, tool: string): ToolPolicyDescription {
  const hiddenBy = policy.hide.find((h) => patternMatches(h, tool)) ?? null;
  const entries = [
    ...policy.tools.filter((e) => e.kind === "exact" && e.key === tool),
    ...policy.tools.filter((e) => e.kind === "glob" && patternMatches(e.key, tool)),
    ...policy.tools.filter((e) => e.kind === "all"),
  ];
  const ownEntry = entries.some((e) => e.kind === "exact");
  const listed = entries.some((e) => e.kind !== "all");
  const rules = entries.flatMap((e) =>
    e.rules.map((r) => ({ entry: e.key, name: r.name, action: r.action, text: ruleInWords(r) })),
  );
  const all = entries.flatMap((e) => e.rules);
  const base = { hiddenBy, ownEntry, rules };

  if (hiddenBy !== null)
    return {
      ...base,
      verdict: "hidden",
      headline: `Hidden${hiddenBy === tool ? "" : ` by "${hiddenBy}"`}: not in tools/list, and refused`,
    };
  if (policy.default === "deny" && !listed)
    return {
      ...base,
      verdict: "not_listed",
      headline: "Refused unless a grant allows it: not listed, and the default is deny",
    };
  const deny = all.find((r) => r.action === "deny");
  if (deny) return { ...base, verdict: "denied", headline: `Refused by rule "${deny.name}"` };
  const approval = all.filter((r) => r.action === "require_approval");
  if (approval.some((r) => r.conditions.length === 0))
    return { ...base, verdict: "approval", headline: "Every call waits for a person's approval" };
  if (approval.length > 0)
    return { ...base, verdict: "approval", headline: "Some calls wait for a person's approval" };
  if (all.some((r) => r.conditions.length > 0))
    return { ...base, verdict: "conditional", headline: "Allowed when its conditions hold" };
  if (all.some((r) => r.rateLimit || r.state.length > 0 || r.validate))
    return { ...base, verdict: "limited", headline: "Allowed, within limits and checks" };
  return {
    ...base,
    verdict: "allowed",
    headline: listed
      ? "Allowed: no limits or checks"
      : "Allowed: not listed, and the default is allow",
  };
}
