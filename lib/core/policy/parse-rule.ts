import { DEFAULT_APPROVAL_TIMEOUT_MS, parseDuration } from "./duration";
import { parseCondition, type ParsedCondition } from "./parse-condition";
import { parseRateLimit } from "./parse-rate-limit";
import { parsePath, type StatePath } from "./paths";
import type { CalendarUnit, Rule, RuleAction, Scope, StateSpec, ValidateSpec } from "./types";
import type { MapEntry, PolicyReader, ReaderNode } from "./yaml-reader";

export const RULE_KEYS = [
  "name",
  "action",
  "conditions",
  "state",
  "rate_limit",
  "validate",
  "on_deny",
  "reason",
  "scope",
  "approval_timeout",
] as const;

const ACTIONS: readonly RuleAction[] = ["evaluate", "allow", "deny", "require_approval"];
const WINDOWS: readonly CalendarUnit[] = ["minute", "hour", "day"];
const COUNTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** What a rule needs to know about the tool entry that holds it. */
export type EntryContext = {
  key: string;
  /** Name used in `state.<name>.<counter>` paths: the entry key, or `_global` under `"*"`. */
  stateName: string;
  /** Counters declared so far in this entry, to report duplicates across its rules. */
  counters: Set<string>;
  /**
   * Conditions on a counter this rule does not declare (another rule's, usually another
   * tool's): shared by all entries and checked once every entry is known (`checkCounterReads`).
   */
  reads: CounterRead[];
};

/** A condition that reads a counter without counting: `state.<other tool>.<counter>`. */
export type CounterRead = { path: string; node: ReaderNode; state: StatePath };

/** Validates one rule; returns null when it has errors (already reported on `r`). */
export function parseRule(
  r: PolicyReader,
  path: string,
  node: ReaderNode,
  entry: EntryContext,
  index: number,
): Rule | null {
  const entries = r.entries(path, node, RULE_KEYS, "rule");
  if (!entries || !node) return null;
  const errorsBefore = r.errors.length;
  const get = (k: string): MapEntry | undefined => entries.find((e) => e.key === k);

  const name = parseName(r, path, get("name"), `${entry.key}#${index}`);
  const onDeny = parseOnDeny(r, path, get("on_deny"), get("reason"));
  const scope = parseScope(r, path, get("scope"));

  const conditions: ParsedCondition[] = [];
  const conditionsEntry = get("conditions");
  if (conditionsEntry && !r.isNull(conditionsEntry.value)) {
    const items = r.sequence(`${path}.conditions`, conditionsEntry.value, "conditions");
    items?.forEach((item, j) => {
      const parsed = parseCondition(r, `${path}.conditions[${j}]`, item);
      if (parsed) conditions.push(parsed);
    });
  }
  const hasConditions = conditionsEntry !== undefined && !r.isNull(conditionsEntry.value);

  const stateEntry = get("state");
  const state = stateEntry ? parseStates(r, `${path}.state`, stateEntry.value, entry) : [];
  const rateLimitEntry = get("rate_limit");
  const rateLimit = rateLimitEntry
    ? parseRateLimit(r, `${path}.rate_limit`, rateLimitEntry.value)
    : null;
  const validateEntry = get("validate");
  const validate = validateEntry ? parseValidate(r, `${path}.validate`, validateEntry.value) : null;

  const actionEntry = get("action");
  let action: RuleAction | null = null;
  if (actionEntry) {
    const raw = r.scalar(actionEntry.value);
    if (typeof raw === "string" && (ACTIONS as readonly string[]).includes(raw)) {
      action = raw as RuleAction;
    } else {
      r.error(
        `${path}.action`,
        actionEntry.value,
        'action must be "evaluate", "allow", "deny" or "require_approval"',
      );
    }
  } else if (hasConditions || stateEntry) {
    action = "evaluate";
  } else if (rateLimitEntry || validateEntry) {
    action = "allow";
  } else {
    r.error(path, node, "evaluate rules must have at least one condition");
  }

  if (action === "deny") {
    if (hasConditions || stateEntry) r.error(path, node, "deny rules must not have conditions");
    if (rateLimitEntry)
      r.error(
        `${path}.rate_limit`,
        rateLimitEntry.keyNode,
        'rate_limit cannot be used with action "deny"',
      );
    if (validateEntry)
      r.error(`${path}.validate`, validateEntry.keyNode, "deny rules must not have validate");
  } else if (action === "evaluate" && !hasConditions && !rateLimitEntry) {
    r.error(path, node, "evaluate rules must have at least one condition");
  }
  if (rateLimitEntry && (hasConditions || stateEntry) && action !== "deny") {
    r.error(
      `${path}.rate_limit`,
      rateLimitEntry.keyNode,
      "rate_limit cannot be combined with conditions or state",
    );
  }
  if (action === "require_approval" && stateEntry) {
    r.error(
      `${path}.state`,
      stateEntry.keyNode,
      "require_approval rules cannot use state (put the counter in its own rule)",
    );
  }

  let approvalTimeoutMs: number | null = null;
  const timeoutEntry = get("approval_timeout");
  if (timeoutEntry) {
    const raw = r.scalar(timeoutEntry.value);
    const ms = typeof raw === "string" ? parseDuration(raw) : null;
    if (ms === null) {
      r.error(
        `${path}.approval_timeout`,
        timeoutEntry.value,
        "invalid approval_timeout duration: use a whole number with s, m, h or d, such as 90s, 10m or 2h (at most 7d)",
      );
    } else if (action !== null && action !== "require_approval") {
      r.error(
        `${path}.approval_timeout`,
        timeoutEntry.keyNode,
        'approval_timeout requires action "require_approval"',
      );
    }
    approvalTimeoutMs = ms;
  }
  if (action === "require_approval") approvalTimeoutMs ??= DEFAULT_APPROVAL_TIMEOUT_MS;

  checkStateConditions(r, path, conditions, state, entry, stateEntry?.keyNode ?? node);
  if (get("scope") && !rateLimitEntry && !stateEntry) {
    r.warn(
      `${path}.scope`,
      get("scope")?.keyNode,
      "scope has no effect on a rule without rate_limit or state",
    );
  }

  if (r.errors.length > errorsBefore || action === null) return null;
  return {
    name,
    action,
    conditions: conditions.map((c) => c.condition),
    state,
    rateLimit,
    validate,
    onDeny,
    scope,
    approvalTimeoutMs,
  };
}

function parseName(
  r: PolicyReader,
  path: string,
  e: MapEntry | undefined,
  fallback: string,
): string {
  if (!e) return fallback;
  const raw = r.scalar(e.value);
  if (typeof raw !== "string" || raw.trim() === "") {
    r.error(`${path}.name`, e.value, "name must be a non-empty string");
    return fallback;
  }
  return raw;
}

function parseOnDeny(
  r: PolicyReader,
  path: string,
  onDeny?: MapEntry,
  reason?: MapEntry,
): string | null {
  if (onDeny && reason) {
    r.error(`${path}.reason`, reason.keyNode, "use either on_deny or reason, not both");
    return null;
  }
  const e = onDeny ?? reason;
  if (!e) return null;
  const raw = r.scalar(e.value);
  if (typeof raw !== "string" || raw.trim() === "") {
    r.error(`${path}.${e.key}`, e.value, `${e.key} must be a non-empty string`);
    return null;
  }
  return raw;
}

function parseScope(r: PolicyReader, path: string, e: MapEntry | undefined): Scope {
  if (!e) return "agent";
  const raw = r.scalar(e.value);
  if (raw !== "agent" && raw !== "shared") {
    r.error(`${path}.scope`, e.value, 'scope must be "agent" or "shared"');
    return "agent";
  }
  return raw;
}

function parseValidate(r: PolicyReader, path: string, node: ReaderNode): ValidateSpec | null {
  const entries = r.entries(path, node, ["required_args", "schema"], "validate");
  if (!entries) return null;
  const spec: ValidateSpec = { requiredArgs: false, schema: false };
  for (const e of entries) {
    const raw = r.scalar(e.value);
    if (typeof raw !== "boolean") {
      r.error(`${path}.${e.key}`, e.value, `validate.${e.key} requires a boolean value`);
      continue;
    }
    if (e.key === "required_args") spec.requiredArgs = raw;
    else spec.schema = raw;
  }
  if (!spec.requiredArgs && !spec.schema)
    r.warn(path, node, "validate has no effect: enable required_args or schema");
  return spec;
}

function parseStates(
  r: PolicyReader,
  path: string,
  node: ReaderNode,
  entry: EntryContext,
): StateSpec[] {
  const items: Array<[string, ReaderNode]> = r.isSeq(node)
    ? (r.sequence(path, node, "state") ?? []).map((n, i) => [`${path}[${i}]`, n])
    : [[path, node]];
  const out: StateSpec[] = [];
  for (const [itemPath, item] of items) {
    if (!r.isMap(item)) {
      r.error(
        itemPath,
        item,
        "state must be a mapping {counter, window, increment | increment_from}",
      );
      continue;
    }
    const spec = parseState(r, itemPath, item, entry);
    if (spec) out.push(spec);
  }
  return out;
}

function parseState(
  r: PolicyReader,
  path: string,
  node: ReaderNode,
  entry: EntryContext,
): StateSpec | null {
  const entries = r.entries(
    path,
    node,
    ["counter", "window", "increment", "increment_from"],
    "state",
  );
  if (!entries) return null;
  const get = (k: string) => entries.find((e) => e.key === k);
  const before = r.errors.length;

  const counterEntry = get("counter");
  const counter = counterEntry ? r.scalar(counterEntry.value) : undefined;
  if (typeof counter !== "string" || counter.trim() === "") {
    r.error(`${path}.counter`, counterEntry?.value ?? node, "counter must not be empty");
  } else if (!COUNTER_NAME.test(counter)) {
    r.error(
      `${path}.counter`,
      counterEntry?.value,
      "counter must use letters, digits, _ and - only, and not start with _ (reserved for rate limits)",
    );
  } else if (entry.counters.has(counter)) {
    r.error(
      `${path}.counter`,
      counterEntry?.value,
      `duplicate state counter "${counter}" in tool "${entry.key}"`,
    );
  } else {
    entry.counters.add(counter);
  }

  const windowEntry = get("window");
  const window = windowEntry ? r.scalar(windowEntry.value) : undefined;
  if (typeof window !== "string" || !(WINDOWS as readonly string[]).includes(window)) {
    r.error(
      `${path}.window`,
      windowEntry?.value ?? node,
      'window must be "minute", "hour", or "day"',
    );
  }

  const incrementEntry = get("increment");
  const fromEntry = get("increment_from");
  let increment: number | null = null;
  let incrementFrom: string | null = null;
  if (incrementEntry && fromEntry) {
    r.error(path, node, "use either increment or increment_from, not both");
  } else if (incrementEntry) {
    const raw = r.scalar(incrementEntry.value);
    if (typeof raw !== "number" || !Number.isFinite(raw) || raw <= 0) {
      r.error(
        `${path}.increment`,
        incrementEntry.value,
        "increment requires a numeric value greater than 0",
      );
    } else {
      increment = raw;
    }
  } else if (fromEntry) {
    const raw = r.scalar(fromEntry.value);
    const parsed = typeof raw === "string" && raw.startsWith("args.") ? parsePath(raw) : null;
    if (!parsed || "error" in parsed || parsed.kind !== "args") {
      r.error(
        `${path}.increment_from`,
        fromEntry.value,
        'increment_from must start with "args." and name an argument',
      );
    } else {
      incrementFrom = raw as string;
    }
  } else {
    increment = 1;
  }
  if (r.errors.length > before) return null;
  return { counter: counter as string, window: window as CalendarUnit, increment, incrementFrom };
}

function checkStateConditions(
  r: PolicyReader,
  path: string,
  conditions: readonly ParsedCondition[],
  state: readonly StateSpec[],
  entry: EntryContext,
  stateNode: ReaderNode,
): void {
  const bounded = new Set<string>();
  for (const c of conditions) {
    if (!c.state) continue;
    const own =
      c.state.entry === entry.stateName && state.some((s) => s.counter === c.state?.counter);
    if (!own) {
      entry.reads.push({ path: `${path}.conditions`, node: c.node, state: c.state });
    } else if (c.condition.op !== "lt" && c.condition.op !== "lte") {
      r.error(
        `${c.path}.op`,
        c.opNode,
        `state conditions must use "lt" or "lte" (an upper bound), not "${c.condition.op}"`,
      );
    } else {
      bounded.add(c.state.counter);
    }
  }
  for (const s of state) {
    if (!bounded.has(s.counter)) {
      r.error(
        `${path}.state`,
        stateNode,
        `counter "${s.counter}" has no upper bound: add a condition {path: state.${entry.stateName}.${s.counter}, op: lte, value: N}`,
      );
    }
  }
}

/**
 * Every counter a rule reads must be declared by a `state` block of the tool entry it names
 * (`state._global.<counter>` names the `"*"` entry). `declared` maps an entry's state name to
 * its counters.
 */
export function checkCounterReads(
  r: PolicyReader,
  reads: readonly CounterRead[],
  declared: ReadonlyMap<string, ReadonlySet<string>>,
): void {
  for (const read of reads) {
    const { entry, counter, text } = read.state;
    const counters = declared.get(entry);
    if (counters?.has(counter)) continue;
    const tool = entry === "_global" ? '"*"' : `"${entry}"`;
    r.error(
      read.path,
      read.node,
      counters
        ? `no matching state block for "${text}": no rule of tool ${tool} declares a state counter "${counter}"`
        : `no matching state block for "${text}": the policy has no tool entry ${tool} (a condition may read a counter declared by a state block of any tool entry)`,
    );
  }
}
