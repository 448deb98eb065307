import { AppError } from "../errors";
import { compareDecimal, type Decimal, decimalFromNumber, formatDecimal } from "./decimal";
import { DEFAULT_APPROVAL_TIMEOUT_MS } from "./duration";
import { patternMatches } from "./glob";
import { rateLimitMessage, ruleMessage } from "./messages";
import { compilePredicate, type Predicate } from "./operators";
import { parsePath } from "./paths";
import type {
  AuditArgumentsMode,
  CalendarUnit,
  ConditionOp,
  Policy,
  Posture,
  Rule,
  RuleAction,
  Scope,
  ToolEntry,
  ValidateSpec,
} from "./types";

export type AmountSource =
  { kind: "fixed"; value: Decimal } | { kind: "from"; path: string; segments: readonly string[] };

export type CompiledLimit = CounterRef & {
  window: { kind: "calendar"; unit: CalendarUnit } | { kind: "rolling"; windowMs: number };
  limit: Decimal;
  limitText: string;
  inclusive: boolean;
  amount: AmountSource;
  rule: string;
  message: string;
  describe: string;
  /** `rate_limit` (a call count) or `state` (a declared counter such as a spend cap). */
  source: "rate_limit" | "state";
};

/** Which counter: its name and scope, which make its key (with the agent and the server). */
export type CounterRef = {
  /** `state.<entry>.<counter>` (rate limits use `_rate_<window>`). */
  counter: string;
  counterJson: string;
  scope: Scope;
};

export type CompiledCondition =
  | { kind: "args"; describe: string; segments: readonly string[]; predicate: Predicate }
  /** Reads another rule's counter (never counts this call) and compares its current value. */
  | {
      kind: "counter";
      describe: string;
      ref: CounterRef;
      unit: CalendarUnit;
      holds: (current: Decimal) => boolean;
    };

export type CompiledRule = {
  name: string;
  action: RuleAction;
  message: string;
  conditions: readonly CompiledCondition[];
  /** Amounts resolved from arguments while the rule runs, keyed by counter. */
  amountsFrom: readonly { counter: string; path: string; segments: readonly string[] }[];
  limits: readonly CompiledLimit[];
  validate: ValidateSpec | null;
  approvalTimeoutMs: number;
};

export type ResolvedTool = { listed: boolean; rules: readonly CompiledRule[] };

const RESOLVE_CACHE_LIMIT = 10_000;

/**
 * A compiled, immutable policy. Rule lists per tool name are resolved on first use and cached;
 * evaluation reads only precompiled predicates, so it allocates little.
 */
export class PolicySnapshot {
  readonly posture: Posture;
  readonly auditArguments: AuditArgumentsMode;
  private readonly exact = new Map<string, readonly CompiledRule[]>();
  private readonly globs: { pattern: string; rules: readonly CompiledRule[] }[] = [];
  private readonly all: readonly CompiledRule[] | null;
  private readonly hideExact: ReadonlySet<string>;
  private readonly hidePatterns: readonly string[];
  private readonly resolved = new Map<string, ResolvedTool>();
  private readonly hidden = new Map<string, string | null>();

  constructor(readonly policy: Policy) {
    this.posture = policy.default;
    this.auditArguments = policy.audit.arguments;
    const declared = declaredCounters(policy);
    let all: readonly CompiledRule[] | null = null;
    for (const entry of policy.tools) {
      const rules = entry.rules.map((rule) => compileRule(entry, rule, declared));
      if (entry.kind === "all") all = rules;
      else if (entry.kind === "glob") this.globs.push({ pattern: entry.key, rules });
      else this.exact.set(entry.key, rules);
    }
    this.all = all;
    this.hideExact = new Set(policy.hide.filter((h) => !h.includes("*") && !h.includes("?")));
    this.hidePatterns = policy.hide.filter((h) => h.includes("*") || h.includes("?"));
  }

  /** The `hide` entry that hides `tool`, or null. */
  hiddenBy(tool: string): string | null {
    const cached = this.hidden.get(tool);
    if (cached !== undefined) return cached;
    let by: string | null = this.hideExact.has(tool) ? tool : null;
    by ??= this.hidePatterns.find((p) => patternMatches(p, tool)) ?? null;
    this.remember(this.hidden, tool, by);
    return by;
  }

  /** Rules applying to `tool` in order (exact entry, matching globs in file order, `"*"`). */
  resolve(tool: string): ResolvedTool {
    const cached = this.resolved.get(tool);
    if (cached) return cached;
    const exact = this.exact.get(tool);
    const globs = this.globs.filter((g) => patternMatches(g.pattern, tool));
    const rules: CompiledRule[] = [
      ...(exact ?? []),
      ...globs.flatMap((g) => g.rules),
      ...(this.all ?? []),
    ];
    const result: ResolvedTool = { listed: exact !== undefined || globs.length > 0, rules };
    this.remember(this.resolved, tool, result);
    return result;
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    if (map.size >= RESOLVE_CACHE_LIMIT) map.clear();
    map.set(key, value);
  }
}

function fail(rule: string, message: string): never {
  throw new AppError("VALIDATION", `rule "${rule}": ${message}`, { rule });
}

function decimalOf(rule: string, value: number): Decimal {
  const d = decimalFromNumber(value);
  if (!d) fail(rule, `${value} is not a finite number`);
  return d;
}

const stateNameOf = (entry: ToolEntry) => (entry.kind === "all" ? "_global" : entry.key);
const counterRef = (stateName: string, counter: string, scope: Scope): CounterRef => {
  const name = `state.${stateName}.${counter}`;
  return { counter: name, counterJson: JSON.stringify(name), scope };
};

type DeclaredCounter = { ref: CounterRef; unit: CalendarUnit };

/** Every state counter of the policy by `state.<entry>.<counter>`, with its declaring rule's scope. */
function declaredCounters(policy: Policy): ReadonlyMap<string, DeclaredCounter> {
  const out = new Map<string, DeclaredCounter>();
  for (const entry of policy.tools) {
    for (const rule of entry.rules) {
      for (const s of rule.state) {
        const ref = counterRef(stateNameOf(entry), s.counter, rule.scope);
        out.set(ref.counter, { ref, unit: s.window });
      }
    }
  }
  return out;
}

const COMPARE: Partial<Record<ConditionOp, (order: number) => boolean>> = {
  lt: (o) => o < 0,
  lte: (o) => o <= 0,
  gt: (o) => o > 0,
  gte: (o) => o >= 0,
  eq: (o) => o === 0,
  neq: (o) => o !== 0,
};

function compileRule(
  entry: ToolEntry,
  rule: Rule,
  declared: ReadonlyMap<string, DeclaredCounter>,
): CompiledRule {
  const stateName = stateNameOf(entry);
  const message = rule.onDeny ?? ruleMessage(rule.name);
  const conditions: CompiledCondition[] = [];
  const limits: CompiledLimit[] = [];
  const amountsFrom: { counter: string; path: string; segments: readonly string[] }[] = [];

  const counterName = (counter: string) => `state.${stateName}.${counter}`;
  const limitBase = (counter: string) => ({
    ...counterRef(stateName, counter, rule.scope),
    rule: rule.name,
  });

  for (const condition of rule.conditions) {
    const path = parsePath(condition.path);
    if ("error" in path) fail(rule.name, path.error);
    const describe = `${condition.path} ${condition.op} ${JSON.stringify(condition.value)}`;
    if (path.kind === "args") {
      try {
        conditions.push({
          kind: "args",
          describe,
          segments: path.segments,
          predicate: compilePredicate(condition.op, condition.value),
        });
      } catch (err) {
        fail(rule.name, err instanceof Error ? err.message : "invalid condition");
      }
      continue;
    }
    const state =
      path.entry === stateName ? rule.state.find((s) => s.counter === path.counter) : undefined;
    if (!state) {
      // Not this rule's counter: a read of the counter some other rule declares.
      const read = declared.get(`state.${path.entry}.${path.counter}`);
      if (!read) fail(rule.name, `no matching state block for "${condition.path}"`);
      const compare = COMPARE[condition.op];
      if (!compare || typeof condition.value !== "number")
        fail(rule.name, `state condition "${describe}" must compare with a number`);
      const value = decimalOf(rule.name, condition.value);
      conditions.push({
        kind: "counter",
        describe,
        ref: read.ref,
        unit: read.unit,
        holds: (current) => compare(compareDecimal(current, value)),
      });
      continue;
    }
    if ((condition.op !== "lt" && condition.op !== "lte") || typeof condition.value !== "number") {
      fail(rule.name, `state condition "${describe}" must be lt/lte with a number`);
    }
    let amount: AmountSource;
    if (state.incrementFrom !== null) {
      const from = parsePath(state.incrementFrom);
      if ("error" in from || from.kind !== "args")
        fail(rule.name, 'increment_from must start with "args."');
      amount = { kind: "from", path: state.incrementFrom, segments: from.segments };
      if (!amountsFrom.some((a) => a.counter === counterName(state.counter))) {
        amountsFrom.push({
          counter: counterName(state.counter),
          path: state.incrementFrom,
          segments: from.segments,
        });
      }
    } else {
      const increment = state.increment ?? 1;
      if (!(increment > 0)) fail(rule.name, "increment must be greater than 0");
      amount = { kind: "fixed", value: decimalOf(rule.name, increment) };
    }
    const limit = decimalOf(rule.name, condition.value);
    limits.push({
      ...limitBase(state.counter),
      window: { kind: "calendar", unit: state.window },
      limit,
      limitText: formatDecimal(limit),
      inclusive: condition.op === "lte",
      amount,
      message,
      describe: `${describe} (per ${state.window})`,
      source: "state",
    });
  }
  for (const s of rule.state) {
    if (!limits.some((l) => l.counter === counterName(s.counter))) {
      fail(rule.name, `counter "${s.counter}" has no upper bound`);
    }
  }

  if (rule.rateLimit) {
    const rl = rule.rateLimit;
    const count = rl.kind === "calendar" ? rl.count : rl.max;
    if (!Number.isSafeInteger(count) || count <= 0)
      fail(rule.name, "rate_limit count must be a positive integer");
    const counter = rl.kind === "calendar" ? `_rate_${rl.unit}` : `_rate_${rl.windowSeconds}s`;
    limits.push({
      ...limitBase(counter),
      window:
        rl.kind === "calendar"
          ? { kind: "calendar", unit: rl.unit }
          : { kind: "rolling", windowMs: rl.windowSeconds * 1000 },
      limit: decimalOf(rule.name, count),
      limitText: String(count),
      inclusive: true,
      amount: { kind: "fixed", value: { digits: 1n, scale: 0 } },
      message: rule.onDeny ?? rateLimitMessage(rl),
      describe:
        rl.kind === "calendar"
          ? `rate limit ${count}/${rl.unit}`
          : `rate limit ${count} per ${rl.windowSeconds}s`,
      source: "rate_limit",
    });
  }

  return {
    name: rule.name,
    action: rule.action,
    message,
    conditions,
    amountsFrom,
    limits,
    validate: rule.validate,
    approvalTimeoutMs: rule.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS,
  };
}

/**
 * Compiles a validated policy into a snapshot. Throws AppError("VALIDATION") only when handed
 * a policy that `parsePolicy` would have rejected (a programming error).
 */
export function compilePolicy(policy: Policy): PolicySnapshot {
  return new PolicySnapshot(policy);
}
