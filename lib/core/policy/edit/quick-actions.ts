import { type Document, isMap, isScalar, isSeq, type Pair, type YAMLMap, YAMLSeq } from "yaml";

import { invalid } from "../../errors";
import type { RecommendedRule } from "../../risk/recommend";
import { patternMatches } from "../glob";
import { parsePolicy } from "../parse";
import type { Policy } from "../types";
import { openDocument, serialise } from "./document";

export const RATE_LIMIT_PRESETS = ["5/minute", "30/minute", "100/hour", "1000/day"] as const;
export type RateLimitPreset = (typeof RATE_LIMIT_PRESETS)[number];

export type QuickAction =
  | { kind: "hide" }
  | { kind: "unhide" }
  | { kind: "deny"; reason?: string }
  | { kind: "allow" }
  | { kind: "rate_limit"; limit: RateLimitPreset }
  | { kind: "require_approval"; timeout?: string }
  | { kind: "recommendation"; rule: RecommendedRule };

/** The new draft, what changed in words, and what still applies that the edit could not change. */
export type EditResult = { yaml: string; changed: boolean; summary: string; notes: string[] };

const DEFAULT_DENY_REASON = "Switched off by an operator";

type Draft = { doc: Document; policy: Policy; tool: string; notes: string[] };

/**
 * Applies one quick action of the structured view to a policy draft: the YAML is parsed into a
 * document model, changed there and printed again, so comments, blank lines and quoting survive.
 * Only valid drafts are edited, and the result is checked with the policy parser: an edit that
 * would produce an invalid policy is an error, never a silent change.
 */
export function applyQuickAction(text: string, tool: string, action: QuickAction): EditResult {
  if (tool.trim() === "") throw invalid("A tool name is required");
  const parsed = text.trim() === "" ? null : parsePolicy(text);
  if (parsed && !parsed.ok)
    throw invalid("Fix the problems in the YAML before using the quick actions", {
      errors: parsed.errors,
    });
  const doc = openDocument(text);
  const policy = parsed?.ok ? parsed.policy : emptyPolicy();
  const draft: Draft = { doc, policy, tool, notes: [] };
  const summary = ACTIONS[action.kind](draft, action as never);

  const yaml = serialise(doc, text);
  const check = parsePolicy(yaml);
  if (!check.ok)
    throw invalid(`The edit would make the policy invalid: ${check.errors[0]?.message ?? ""}`, {
      errors: check.errors,
    });
  return { yaml, changed: yaml !== text, summary, notes: draft.notes };
}

const ACTIONS: {
  [K in QuickAction["kind"]]: (d: Draft, a: Extract<QuickAction, { kind: K }>) => string;
} = {
  hide(d) {
    const by = hiddenBy(d.policy, d.tool);
    if (by !== null) return `${d.tool} is already hidden (by hide entry "${by}")`;
    const hide = hideSeq(d.doc);
    hide.items.push(d.doc.createNode(d.tool));
    return `${d.tool} is hidden: removed from tools/list and refused`;
  },
  unhide(d) {
    const removed = unhide(d);
    return removed ? `${d.tool} is no longer hidden` : `${d.tool} was not hidden by name`;
  },
  deny(d, a) {
    const rules = rulesOf(d);
    const dropped = removeRules(rules, isUnconditionalDeny);
    rules.items.unshift(
      d.doc.createNode({
        name: `${d.tool} switched off`,
        action: "deny",
        reason: a.reason?.trim() || DEFAULT_DENY_REASON,
      }),
    );
    return dropped > 0
      ? `${d.tool} is denied (its deny rule replaced)`
      : `${d.tool} is denied: a deny rule comes first; its other rules are kept`;
  },
  allow(d) {
    makeCallable(d);
    return `${d.tool} is allowed${d.notes.length > 0 ? ", but see the notes" : ""}`;
  },
  rate_limit(d, a) {
    makeCallable(d);
    const rules = rulesOf(d);
    const existing = rules.items.find((r) => isMap(r) && r.has("rate_limit"));
    if (isMap(existing)) {
      existing.set("rate_limit", a.limit);
      return `${d.tool}'s rate limit is now ${a.limit}`;
    }
    rules.items.push(d.doc.createNode({ name: `${d.tool} rate limit`, rate_limit: a.limit }));
    return `${d.tool} is limited to ${a.limit}`;
  },
  require_approval(d, a) {
    makeCallable(d);
    const rules = rulesOf(d);
    const already = rules.items.some(
      (r) => isMap(r) && r.get("action") === "require_approval" && !r.has("conditions"),
    );
    if (already) return `Every call of ${d.tool} already needs approval`;
    rules.items.push(
      d.doc.createNode({
        name: `${d.tool} needs approval`,
        action: "require_approval",
        approval_timeout: a.timeout ?? "10m",
      }),
    );
    return `Every call of ${d.tool} now waits for a person's approval`;
  },
  recommendation(d, a) {
    if (a.rule.action !== "deny") unhide(d);
    const rules = rulesOf(d);
    const replaced = rules.items.length;
    rules.items.splice(0, rules.items.length, ruleNode(d.doc, a.rule));
    notePatternRules(d, a.rule.action === "deny");
    return `${d.tool} follows the recommendation (${describeRecommendation(a.rule)})${replaced > 0 ? `; ${replaced} earlier rule${replaced === 1 ? "" : "s"} replaced` : ""}`;
  },
};

/** `allow` · `allow, at most 10 in 60 s, required arguments` · `deny`. */
export function describeRecommendation(rule: RecommendedRule): string {
  const parts: string[] = [rule.action];
  if (rule.rate_limit) parts.push(`at most ${rule.rate_limit.max} in ${rule.rate_limit.window} s`);
  if (rule.validate?.required_args) parts.push("required arguments");
  return parts.join(", ");
}

function emptyPolicy(): Policy {
  return {
    version: "1",
    description: null,
    default: "deny",
    hide: [],
    audit: { arguments: "redacted" },
    tools: [],
  };
}

function hiddenBy(policy: Policy, tool: string): string | null {
  return policy.hide.find((h) => patternMatches(h, tool)) ?? null;
}

function hideSeq(doc: Document): YAMLSeq {
  const node = doc.get("hide", true);
  if (isSeq(node)) return node;
  const seq = new YAMLSeq();
  const root = doc.contents as YAMLMap;
  const at = root.items.findIndex((p) => isScalar(p.key) && p.key.value === "tools");
  if (node === undefined && at >= 0) root.items.splice(at, 0, doc.createPair("hide", seq));
  else doc.set("hide", seq);
  return seq;
}

/** Removes the tool's own hide entry; notes a pattern that still hides it. */
function unhide(d: Draft): boolean {
  const node = d.doc.get("hide", true);
  let removed = false;
  if (isSeq(node)) {
    const before = node.items.length;
    node.items = node.items.filter((i) => !(isScalar(i) && i.value === d.tool));
    removed = node.items.length < before;
    if (node.items.length === 0) node.flow = true;
  }
  const pattern = d.policy.hide.find((h) => h !== d.tool && patternMatches(h, d.tool));
  if (pattern !== undefined)
    d.notes.push(`Still hidden by the hide entry "${pattern}", which covers other tools too`);
  return removed;
}

/** The tool's own entry under `tools`, created (after the last entry, with no rules) when missing. */
function entryOf(d: Draft): Pair {
  let tools = d.doc.get("tools", true);
  if (!isMap(tools)) {
    tools = d.doc.createNode({});
    d.doc.set("tools", tools);
  }
  const map = tools as YAMLMap;
  const found = map.items.find((p) => isScalar(p.key) && String(p.key.value) === d.tool);
  if (found) return found as Pair;
  const last = map.items.at(-1);
  const key = d.doc.createNode(d.tool);
  // Follow the file's layout: a blank line between entries when the last entry has one.
  if (isScalar(last?.key) && last.key.spaceBefore) key.spaceBefore = true;
  const pair = d.doc.createPair(key, null);
  map.items.push(pair);
  map.flow = false;
  return pair;
}

function rulesOf(d: Draft): YAMLSeq {
  const pair = entryOf(d);
  if (!isMap(pair.value)) pair.value = d.doc.createNode({});
  const entry = pair.value as YAMLMap;
  const rules = entry.get("rules", true);
  if (isSeq(rules)) {
    if (rules.items.length === 0) rules.flow = false;
    return rules;
  }
  const seq = new YAMLSeq();
  entry.set("rules", seq);
  return seq;
}

function isUnconditionalDeny(rule: unknown): boolean {
  return isMap(rule) && rule.get("action") === "deny";
}

function removeRules(rules: YAMLSeq, drop: (rule: unknown) => boolean): number {
  const before = rules.items.length;
  rules.items = rules.items.filter((r) => !drop(r));
  if (rules.items.length === 0 && before > 0) rules.flow = true;
  return before - rules.items.length;
}

/** Not hidden by name, listed, and without a deny rule of its own; notes what still refuses it. */
function makeCallable(d: Draft): void {
  unhide(d);
  const pair = entryOf(d);
  const rules = isMap(pair.value) ? pair.value.get("rules", true) : null;
  if (isSeq(rules)) removeRules(rules, isUnconditionalDeny);
  notePatternRules(d, false);
}

/** Deny rules from glob or `"*"` entries also apply to the tool; an edit of its entry can't lift them. */
function notePatternRules(d: Draft, denying: boolean): void {
  if (denying) return;
  for (const entry of d.policy.tools) {
    if (entry.kind === "exact" || !patternMatches(entry.key, d.tool)) continue;
    const deny = entry.rules.find((r) => r.action === "deny");
    if (deny)
      d.notes.push(
        `Still refused by rule "${deny.name}" of the entry "${entry.key}", which covers other tools too`,
      );
  }
}

/** A recommended rule as written in the catalogue's short form: `{max, window}` and `validate` inline. */
function ruleNode(doc: Document, rule: RecommendedRule) {
  const node = doc.createNode(rule) as YAMLMap;
  for (const key of ["rate_limit", "validate"]) {
    const value = node.get(key, true);
    if (isMap(value)) value.flow = true;
  }
  return node;
}
