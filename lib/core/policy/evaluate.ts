import {
  addDecimal,
  compareDecimal,
  type Decimal,
  decimalFromNumber,
  formatDecimal,
  parseDecimal,
  subtractDecimal,
} from "./decimal";
import type {
  CounterReader,
  Decision,
  DenyCause,
  EvaluateInput,
  Grant,
  Reservation,
} from "./decision";
import { patternMatches } from "./glob";
import { hiddenMessage, notPermittedMessage, rateLimitMessage } from "./messages";
import { MISSING, resolveArgPath } from "./paths";
import { checkRequired, checkSchema } from "./schema-validator";
import type { CompiledLimit, CompiledRule, CounterRef, PolicySnapshot } from "./snapshot";
import { calendarWindow, type CounterWindow, rollingWindow, secondsUntil } from "./windows";

type Pending = { limit: CompiledLimit; amount: Decimal };
type Deny = Extract<Decision, { kind: "deny" }>;

/** Thrown only to carry a CounterReader failure past the fail-closed catch in `evaluate`. */
class CounterReadFailure {
  constructor(readonly cause: unknown) {}
}

const ONE: Decimal = { digits: 1n, scale: 0 };

function deny(
  cause: DenyCause,
  rule: string | null,
  reason: string,
  message: string,
  retryAfterSeconds?: number,
): Deny {
  return retryAfterSeconds === undefined
    ? { kind: "deny", cause, rule, reason, message }
    : { kind: "deny", cause, rule, reason, message, retryAfterSeconds };
}

/**
 * Decides one `tools/call` against a snapshot. Pure apart from calling `input.counters`.
 * Order: hide → the agent's deny grants → default posture → rules in order (conditions,
 * argument validation) → approval → counter limits. Never throws on any input; an unexpected
 * failure becomes a deny with cause "internal". The only exception: an error thrown by
 * `input.counters` propagates unchanged, so the caller's transaction aborts (and refuses).
 */
export function evaluate(snapshot: PolicySnapshot, input: EvaluateInput): Decision {
  try {
    return decide(snapshot, input);
  } catch (err) {
    if (err instanceof CounterReadFailure) throw err.cause;
    const detail = err instanceof Error ? err.message : String(err);
    return deny(
      "internal",
      null,
      `evaluation failed: ${detail}`,
      notPermittedMessage(String(input.tool)),
    );
  }
}

function isUsable(grant: Grant, now: number): boolean {
  return grant.expiresAt === null || grant.expiresAt === undefined || grant.expiresAt > now;
}

function decide(snapshot: PolicySnapshot, input: EvaluateInput): Decision {
  const { tool, now } = input;
  if (typeof tool !== "string" || tool === "") {
    return deny("invalid_arguments", null, "tool name is missing", "Tool name is missing");
  }
  if (!Number.isFinite(now))
    return deny("internal", null, "clock value is not a finite number", notPermittedMessage(tool));

  const hiddenBy = snapshot.hiddenBy(tool);
  if (hiddenBy !== null)
    return deny("hidden", null, `hidden by policy (hide: "${hiddenBy}")`, hiddenMessage(tool));

  let allowGrants: Grant[] | null = null;
  for (const grant of input.grants) {
    if (!isUsable(grant, now) || !patternMatches(grant.toolPattern, tool)) continue;
    if (grant.effect === "allow") {
      (allowGrants ??= []).push(grant);
    } else {
      return deny(
        "grant_deny",
        null,
        `denied by grant ${grant.id} (${grant.toolPattern})`,
        notPermittedMessage(tool),
      );
    }
  }

  const resolved = snapshot.resolve(tool);
  if (snapshot.posture === "deny" && !resolved.listed && allowGrants === null) {
    return deny(
      "not_permitted",
      null,
      "default deny: tool is not listed in the policy or granted to the agent",
      notPermittedMessage(tool),
    );
  }

  const args = input.arguments === undefined ? {} : input.arguments;
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    const got = args === null ? "null" : Array.isArray(args) ? "a list" : typeof args;
    return deny(
      "invalid_arguments",
      null,
      `arguments must be a JSON object, got ${got}`,
      `Arguments for "${tool}" must be a JSON object`,
    );
  }
  const record = args as Record<string, unknown>;

  const pending: Pending[] = [];
  // A grant with a limit of its own replaces the policy's per-agent call-count limits for this
  // agent; shared limits (the server's total) and state counters (spend caps) still apply.
  const grantSetsLimit = allowGrants?.some((g) => g.rateLimit) ?? false;
  let approval: CompiledRule | null = null;
  let decidingRule: string | null = null;
  for (const rule of resolved.rules) {
    if (rule.action === "deny")
      return deny("rule", rule.name, `rule "${rule.name}" denies the tool`, rule.message);
    const failed = firstFailure(rule, record, input);
    if (typeof failed === "object" && failed !== null) return failed;
    if (rule.action === "require_approval") {
      if (failed === null && !isApproved(rule, input)) approval ??= rule;
    } else if (failed !== null) {
      return deny("condition", rule.name, `condition failed: ${failed}`, rule.message);
    } else {
      decidingRule ??= rule.name;
    }
    if (rule.validate) {
      const problem = validateArguments(rule, input, record);
      if (problem !== null)
        return deny("invalid_arguments", rule.name, problem, `Invalid arguments: ${problem}`);
    }
    const amounts = resolveAmounts(rule, record);
    if (typeof amounts === "string")
      return deny("invalid_arguments", rule.name, amounts, rule.message);
    for (const limit of rule.limits) {
      if (grantSetsLimit && limit.source === "rate_limit" && limit.scope === "agent") continue;
      const amount =
        limit.amount.kind === "fixed" ? limit.amount.value : amounts?.get(limit.counter);
      if (!amount)
        return deny("internal", rule.name, `no amount for counter ${limit.counter}`, rule.message);
      pending.push({ limit, amount });
    }
  }

  if (approval) {
    return {
      kind: "require_approval",
      rule: approval.name,
      timeoutMs: approval.approvalTimeoutMs,
      reason: `rule "${approval.name}" requires a human approval`,
      reservations: [],
    };
  }

  if (allowGrants) {
    for (const grant of allowGrants) {
      const rl = grant.rateLimit;
      if (!rl) continue;
      if (
        !Number.isSafeInteger(rl.max) ||
        rl.max <= 0 ||
        !Number.isSafeInteger(rl.windowSeconds) ||
        rl.windowSeconds <= 0
      ) {
        return deny(
          "internal",
          null,
          `grant ${grant.id} has an invalid rate limit`,
          notPermittedMessage(tool),
        );
      }
      pending.push({ limit: grantLimit(grant.id, grant.toolPattern, rl), amount: ONE });
    }
  }

  if (pending.length === 0) return { kind: "allow", rule: decidingRule, reservations: [] };
  const outcome = admit(pending, input);
  if ("kind" in outcome) return outcome;
  return { kind: "allow", rule: decidingRule, reservations: outcome.reservations };
}

/** The limit an allow grant's own rate limit compiles to: a rolling window on its own counter. */
export function grantLimit(
  grantId: string,
  toolPattern: string,
  rl: { max: number; windowSeconds: number },
): CompiledLimit {
  const counter = `grant.${toolPattern}._rate_${rl.windowSeconds}s`;
  return {
    counter,
    counterJson: JSON.stringify(counter),
    scope: "agent",
    window: { kind: "rolling", windowMs: rl.windowSeconds * 1000 },
    limit: { digits: BigInt(rl.max), scale: 0 },
    limitText: String(rl.max),
    inclusive: true,
    amount: { kind: "fixed", value: ONE },
    rule: `grant:${grantId}`,
    message: rateLimitMessage({ kind: "rolling", max: rl.max, windowSeconds: rl.windowSeconds }),
    describe: `grant ${grantId} rate limit ${rl.max} per ${rl.windowSeconds}s`,
    source: "rate_limit",
  };
}

function isApproved(rule: CompiledRule, input: EvaluateInput): boolean {
  return (
    input.approved === true ||
    (typeof input.approvedRule === "string" && input.approvedRule === rule.name)
  );
}

/**
 * The first condition of `rule` that does not hold (its description), null when all hold, or
 * a refusal when a counter it reads cannot be read. A counter read sees the value before this
 * call: it never counts the call, not even when this call also increments that counter.
 */
function firstFailure(
  rule: CompiledRule,
  args: Record<string, unknown>,
  input: EvaluateInput,
): string | null | Deny {
  for (const condition of rule.conditions) {
    if (condition.kind === "args") {
      if (!condition.predicate(resolveArgPath(args, condition.segments))) return condition.describe;
      continue;
    }
    const { key, current } = readCurrent(
      input,
      condition.ref,
      calendarWindow(condition.unit, input.now),
    );
    if (!current)
      return deny(
        "internal",
        rule.name,
        `counter store returned an invalid value for ${key}`,
        rule.message,
      );
    if (!condition.holds(current))
      return `${condition.describe} (read only, per ${condition.unit}: ${formatDecimal(current)} so far)`;
  }
  return null;
}

function validateArguments(
  rule: CompiledRule,
  input: EvaluateInput,
  args: Record<string, unknown>,
): string | null {
  const spec = rule.validate;
  if (!spec) return null;
  if (spec.requiredArgs) {
    const check = checkRequired(input.toolDefinition, args);
    if (!check.ok) return check.problem;
  }
  if (spec.schema) {
    const check = checkSchema(input.toolDefinition, args);
    if (!check.ok) return check.problem;
  }
  return null;
}

/** `increment_from` amounts: finite numbers ≥ 0 only (hardening); a string explains a refusal. */
function resolveAmounts(
  rule: CompiledRule,
  args: Record<string, unknown>,
): Map<string, Decimal> | null | string {
  if (rule.amountsFrom.length === 0) return null;
  const out = new Map<string, Decimal>();
  for (const source of rule.amountsFrom) {
    const value = resolveArgPath(args, source.segments);
    if (value === MISSING) return `increment_from ${source.path} is missing`;
    const amount = typeof value === "number" && value >= 0 ? decimalFromNumber(value) : null;
    if (!amount) return `increment_from ${source.path} must be a finite number >= 0`;
    out.set(source.counter, amount);
  }
  return out;
}

function windowOf(limit: CompiledLimit, now: number): CounterWindow {
  return limit.window.kind === "calendar"
    ? calendarWindow(limit.window.unit, now)
    : rollingWindow(limit.window.windowMs, now);
}

/** The counter store key of a counter for one agent on one server (shared counters omit the agent). */
export function counterKey(ref: CounterRef, server: string, agentId: string): string {
  const s = JSON.stringify(server);
  return ref.scope === "shared"
    ? `["shared",${s},${ref.counterJson}]`
    : `["agent",${JSON.stringify(agentId)},${s},${ref.counterJson}]`;
}

const keyOf = (ref: CounterRef, input: EvaluateInput) =>
  counterKey(ref, input.server, input.agentId);

function read(counters: CounterReader, key: string, window: CounterWindow): string {
  try {
    return counters(key, window);
  } catch (err) {
    throw new CounterReadFailure(err);
  }
}

/**
 * A counter's current value, the same way for a limit and for a read-only condition: one call
 * to the counter store with the counter's key and window. `current` is null when the store
 * returned something that is not a non-negative decimal.
 */
function readCurrent(
  input: EvaluateInput,
  ref: CounterRef,
  window: CounterWindow,
): { key: string; current: Decimal | null } {
  const key = keyOf(ref, input);
  const raw = read(input.counters, key, window);
  const current = typeof raw === "string" ? parseDecimal(raw) : null;
  return { key, current: current && current.digits >= 0n ? current : null };
}

function admit(
  pending: readonly Pending[],
  input: EvaluateInput,
): { reservations: Reservation[] } | Deny {
  const reservations: Reservation[] = [];
  for (const { limit, amount } of pending) {
    const window = windowOf(limit, input.now);
    const { key, current } = readCurrent(input, limit, window);
    if (!current) {
      return deny(
        "internal",
        limit.rule,
        `counter store returned an invalid value for ${key}`,
        limit.message,
      );
    }
    const projected = addDecimal(current, amount);
    const order = compareDecimal(projected, limit.limit);
    if (order > 0 || (order === 0 && !limit.inclusive)) {
      const retry = retryAfter(limit, amount, current, key, window, input);
      return deny(
        "rate_limit",
        limit.rule.startsWith("grant:") ? null : limit.rule,
        `${limit.describe}: ${formatDecimal(current)} used, this call needs ${formatDecimal(amount)}`,
        limit.message,
        retry ?? undefined,
      );
    }
    if (!reservations.some((r) => r.key === key)) {
      reservations.push({
        key,
        amount: formatDecimal(amount),
        window,
        limit: limit.limitText,
        inclusive: limit.inclusive,
        rule: limit.rule,
      });
    }
  }
  return { reservations };
}

function fits(total: Decimal, limit: CompiledLimit): boolean {
  const order = compareDecimal(total, limit.limit);
  return order < 0 || (order === 0 && limit.inclusive);
}

/** Entries walked at most for one retry-after; past that the window length (an upper bound). */
const RETRY_WALK_LIMIT = 1000;

/**
 * Seconds until the window could admit this call; undefined when it never can (the amount alone
 * exceeds the limit). Rolling windows are exact with `counters.entries`: it walks the oldest
 * entries only until enough have left the window (usually one), so a refusal costs as little as
 * an admission. Without entries, or when far over the limit (a lowered limit), the window length.
 */
function retryAfter(
  limit: CompiledLimit,
  amount: Decimal,
  current: Decimal,
  key: string,
  window: CounterWindow,
  input: EvaluateInput,
): number | undefined {
  if (!fits(amount, limit)) return undefined;
  if (window.kind === "calendar") return secondsUntil(window.end, input.now);
  const whole = Math.ceil(window.windowMs / 1000);
  const walk = input.counters.entries;
  if (!walk) return whole;
  let remaining = current;
  let walked = 0;
  try {
    for (const entry of walk(key, window)) {
      if (++walked > RETRY_WALK_LIMIT) break;
      remaining = subtractDecimal(remaining, parseDecimal(entry.amount) ?? ONE);
      if (fits(addDecimal(remaining, amount), limit))
        return secondsUntil(entry.at + window.windowMs, input.now);
    }
  } catch (err) {
    throw new CounterReadFailure(err);
  }
  return whole;
}
