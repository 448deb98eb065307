import type { CounterReader, Decision, Grant, Reservation } from "./decision";
import { describeToolPolicy, type RuleInWords } from "./describe";
import { evaluate, grantLimit } from "./evaluate";
import { patternMatches } from "./glob";
import type { ToolDefinition } from "./schema-validator";
import type { CompiledLimit, CompiledRule, PolicySnapshot } from "./snapshot";
import { visibleTools } from "./visible-tools";

/** `conditional`: the answer depends on the call's arguments or on counters a rule reads. */
export type EffectiveDecision = "allowed" | "denied" | "approval" | "conditional";

export type EffectiveSource =
  | { kind: "quarantine" }
  | { kind: "hide"; entry: string }
  | { kind: "grant"; grantId: string; toolPattern: string; effect: "allow" | "deny" }
  | { kind: "rule"; rule: string }
  | { kind: "default"; posture: "allow" | "deny" }
  | { kind: "listed" };

export type EffectiveLimit = {
  /** The policy rule, or `grant:<id>` for a grant's own limit. */
  rule: string;
  /** `10 calls per hour`, `spend at most 500 per day`, `5 calls in any 60 s`. */
  text: string;
  scope: "agent" | "shared";
};

export type EffectiveGrant = {
  id: string;
  effect: "allow" | "deny";
  toolPattern: string;
  rateLimit: { max: number; windowSeconds: number } | null;
  expiresAt: number | null;
};

export type EffectivePermission = {
  tool: string;
  /** Listed in this agent's tools/list. */
  visible: boolean;
  decision: EffectiveDecision;
  /** One sentence an operator reads first. */
  summary: string;
  decidedBy: EffectiveSource;
  /** When the deciding grant expires (epoch ms); null when nothing here expires. */
  expiresAt: number | null;
  /** Limits a plain call would be charged against (empty when it never gets that far). */
  limits: EffectiveLimit[];
  /** The policy's rules for the tool, in words, in the engine's order. */
  rules: RuleInWords[];
  /** This agent's live grants whose pattern matches the tool. */
  grants: EffectiveGrant[];
};

export type EffectiveToolInput = {
  name: string;
  /** From the inventory; argument validation refuses a call without it, as at the gateway. */
  toolDefinition?: ToolDefinition;
  /** The inventory holds the tool in quarantine: hidden and refused before the policy runs. */
  quarantined?: boolean;
};

export type EffectiveInput = {
  snapshot: PolicySnapshot;
  server: string;
  agentId: string;
  grants: readonly Grant[];
  tools: readonly EffectiveToolInput[];
  now: number;
};

/** Nothing used yet: a probe is charged against empty counters, so limits show without refusing. */
const EMPTY_COUNTERS: CounterReader = Object.assign(() => "0", { entries: () => [] });

const isLive = (g: Grant, now: number) =>
  g.expiresAt === null || g.expiresAt === undefined || g.expiresAt > now;

/**
 * What one agent gets for every tool of one server, decided by the gateway's own engine: each
 * tool is run through `evaluate` as a call with no arguments against empty counters (once as is,
 * once as if approved, to see the limits past an approval), and through `visibleTools` for the
 * listing. Where the rules read the arguments or counters, the verdict is `conditional` and the
 * rules in words say on what. Pure.
 */
export function effectivePermissions(input: EffectiveInput): EffectivePermission[] {
  return input.tools.map((tool) => effectivePermission(input, tool));
}

export function effectivePermission(
  input: EffectiveInput,
  tool: EffectiveToolInput,
): EffectivePermission {
  const { snapshot, now } = input;
  const grants = input.grants
    .filter((g) => isLive(g, now) && patternMatches(g.toolPattern, tool.name))
    .map((g): EffectiveGrant => ({
      id: g.id,
      effect: g.effect,
      toolPattern: g.toolPattern,
      rateLimit: g.rateLimit ?? null,
      expiresAt: g.expiresAt ?? null,
    }));
  const rules = describeToolPolicy(snapshot.policy, tool.name).rules;
  const base = { tool: tool.name, rules, grants };

  if (tool.quarantined) {
    return {
      ...base,
      visible: false,
      decision: "denied",
      summary:
        "Quarantined: the server changed the tool's definition; refused until an admin accepts it",
      decidedBy: { kind: "quarantine" },
      expiresAt: null,
      limits: [],
    };
  }

  const visible = visibleTools(snapshot, [{ name: tool.name }], input.grants, now).length === 1;
  const probe = (approved: boolean): Decision =>
    evaluate(snapshot, {
      server: input.server,
      tool: tool.name,
      arguments: {},
      agentId: input.agentId,
      toolDefinition: tool.toolDefinition,
      grants: input.grants,
      counters: EMPTY_COUNTERS,
      now,
      approved,
    });
  const plain = probe(false);
  const resolved = snapshot.resolve(tool.name);
  const dependsOnCall = resolved.rules.some(
    (r) => r.conditions.length > 0 || r.validate !== null || r.amountsFrom.length > 0,
  );

  if (plain.kind === "deny" && plain.cause !== "condition" && plain.cause !== "invalid_arguments") {
    const source = denySource(plain, tool.name, input, grants);
    return {
      ...base,
      visible,
      decision: "denied",
      summary: denySummary(plain, source),
      decidedBy: source,
      expiresAt: source.kind === "grant" ? grantExpiry(grants, source.grantId) : null,
      limits: [],
    };
  }

  const past = plain.kind === "require_approval" ? probe(true) : plain;
  const limits =
    past.kind === "allow"
      ? past.reservations.map(limitOf)
      : ruleLimits(
          resolved.rules,
          grants.filter((g) => g.effect === "allow"),
        );
  const source = allowSource(plain, resolved.listed, snapshot.posture, grants);
  const expiresAt =
    source.kind === "grant" ? lastExpiry(grants.filter((g) => g.effect === "allow")) : null;
  const decision: EffectiveDecision =
    plain.kind === "require_approval" ? "approval" : dependsOnCall ? "conditional" : "allowed";
  return {
    ...base,
    visible,
    decision,
    summary: allowSummary(decision, plain, source, limits.length),
    decidedBy: source,
    expiresAt,
    limits,
  };
}

function denySource(
  d: Extract<Decision, { kind: "deny" }>,
  tool: string,
  input: EffectiveInput,
  grants: readonly EffectiveGrant[],
): EffectiveSource {
  switch (d.cause) {
    case "hidden":
      return { kind: "hide", entry: input.snapshot.hiddenBy(tool) ?? tool };
    case "grant_deny": {
      const g = grants.find((x) => x.effect === "deny");
      return g
        ? { kind: "grant", grantId: g.id, toolPattern: g.toolPattern, effect: "deny" }
        : { kind: "default", posture: input.snapshot.posture };
    }
    case "not_permitted":
      return { kind: "default", posture: "deny" };
    default:
      return d.rule ? { kind: "rule", rule: d.rule } : { kind: "listed" };
  }
}

function denySummary(d: Extract<Decision, { kind: "deny" }>, source: EffectiveSource): string {
  switch (source.kind) {
    case "hide":
      return `Hidden by the policy (hide: "${source.entry}"): not listed, and refused`;
    case "grant":
      return `Refused by deny grant ${source.grantId} (${source.toolPattern})`;
    case "default":
      return "Refused: not listed in the policy (default: deny) and not granted to this agent";
    case "rule":
      return d.cause === "rate_limit"
        ? `Refused: one call is more than rule "${source.rule}" ever admits`
        : `Refused by rule "${source.rule}"`;
    default:
      return `Refused: ${d.reason}`;
  }
}

function allowSource(
  d: Decision,
  listed: boolean,
  posture: "allow" | "deny",
  grants: readonly EffectiveGrant[],
): EffectiveSource {
  const allowGrant = grants.find((g) => g.effect === "allow");
  if (posture === "deny" && !listed && allowGrant)
    return {
      kind: "grant",
      grantId: allowGrant.id,
      toolPattern: allowGrant.toolPattern,
      effect: "allow",
    };
  if (d.kind !== "deny" && d.rule) return { kind: "rule", rule: d.rule };
  return listed ? { kind: "listed" } : { kind: "default", posture };
}

function allowSummary(
  decision: EffectiveDecision,
  d: Decision,
  source: EffectiveSource,
  limitCount: number,
): string {
  const by =
    source.kind === "grant"
      ? ` by grant ${source.grantId} (${source.toolPattern})`
      : source.kind === "rule"
        ? ` by rule "${source.rule}"`
        : source.kind === "default"
          ? " (default: allow)"
          : "";
  const within = limitCount > 0 ? `, within ${limitCount} limit${limitCount === 1 ? "" : "s"}` : "";
  if (decision === "approval" && d.kind === "require_approval")
    return `Every call waits for a person's approval (rule "${d.rule}")${within}`;
  if (decision === "conditional")
    return `Depends on the call: the rules below check its arguments or counters${by ? `; allowed${by}` : ""}`;
  return `Allowed${by}${within}`;
}

function grantExpiry(grants: readonly EffectiveGrant[], id: string): number | null {
  return grants.find((g) => g.id === id)?.expiresAt ?? null;
}

/** Access through allow grants lasts until the last of them expires; null if one never does. */
function lastExpiry(grants: readonly EffectiveGrant[]): number | null {
  if (grants.length === 0 || grants.some((g) => g.expiresAt === null)) return null;
  return Math.max(...grants.map((g) => g.expiresAt ?? 0));
}

const UNIT_WORD = { minute: "minute", hour: "hour", day: "day" } as const;

type LimitShape = {
  rule: string;
  counter: string;
  scope: "agent" | "shared";
  window:
    { kind: "calendar"; unit: keyof typeof UNIT_WORD } | { kind: "rolling"; windowMs: number };
  limit: string;
  inclusive: boolean;
};

function limitInWords(l: LimitShape): EffectiveLimit {
  const per =
    l.window.kind === "calendar"
      ? `per ${UNIT_WORD[l.window.unit]}`
      : `in any ${Math.round(l.window.windowMs / 1000)} s`;
  const bound = l.inclusive ? "at most" : "less than";
  const name = /\._rate_/.test(l.counter)
    ? "calls"
    : `"${l.counter.replace(/^state\.[^.]*\./, "")}"`;
  return { rule: l.rule, text: `${name} ${bound} ${l.limit} ${per}`, scope: l.scope };
}

/** A reservation the engine would make, as a limit in words. */
function limitOf(r: Reservation): EffectiveLimit {
  let scope: "agent" | "shared" = "agent";
  let counter = r.rule;
  try {
    const key = JSON.parse(r.key) as unknown[];
    scope = key[0] === "shared" ? "shared" : "agent";
    counter = String(key.at(-1));
  } catch {
    // Keys are the engine's JSON; the rule name stands in if one ever is not.
  }
  return limitInWords({ ...r, counter, scope });
}

const compiledInWords = (l: CompiledLimit): EffectiveLimit =>
  limitInWords({ ...l, limit: l.limitText });

/**
 * The limits of a tool the no-argument probe could not get through (its rules read the
 * arguments): every limit of its rules, as a call that passes them would be charged. As in
 * `evaluate`, an allow grant with a limit of its own replaces the per-agent call-count limits.
 */
function ruleLimits(
  rules: readonly CompiledRule[],
  allowGrants: readonly EffectiveGrant[],
): EffectiveLimit[] {
  const own = allowGrants.flatMap((g) =>
    g.rateLimit ? [grantLimit(g.id, g.toolPattern, g.rateLimit)] : [],
  );
  const policy = rules
    .flatMap((r) => r.limits)
    .filter((l) => own.length === 0 || l.source !== "rate_limit" || l.scope !== "agent");
  const seen = new Set<string>();
  return [...policy, ...own]
    .filter((l) => !seen.has(`${l.scope}:${l.counter}`) && seen.add(`${l.scope}:${l.counter}`))
    .map(compiledInWords);
}
