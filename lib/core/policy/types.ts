/** One problem found in a policy file. `line`/`column` are 1-based positions in the YAML text. */
export type PolicyIssue = { path: string; line?: number; column?: number; message: string };

export type Posture = "allow" | "deny";
export type AuditArgumentsMode = "full" | "redacted" | "hash";
export type Scope = "agent" | "shared";
export type CalendarUnit = "minute" | "hour" | "day";
export type RuleAction = "evaluate" | "allow" | "deny" | "require_approval";

export const CONDITION_OPS = [
  "eq",
  "neq",
  "in",
  "not_in",
  "lt",
  "lte",
  "gt",
  "gte",
  "regex",
  "not_regex",
  "contains",
  "not_contains",
  "exists",
] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

/** A validated condition. `path` is the text as written (`args.a.b`, `args["a.b"]`, `state.tool.counter`). */
export type Condition = { path: string; op: ConditionOp; value: unknown };

/** A counter declared by a rule. Exactly one of `increment` / `incrementFrom` drives the amount. */
export type StateSpec = {
  counter: string;
  window: CalendarUnit;
  increment: number | null;
  incrementFrom: string | null;
};

export type RateLimit =
  | { kind: "calendar"; count: number; unit: CalendarUnit }
  | { kind: "rolling"; max: number; windowSeconds: number };

export type ValidateSpec = { requiredArgs: boolean; schema: boolean };

export type Rule = {
  name: string;
  action: RuleAction;
  conditions: Condition[];
  state: StateSpec[];
  rateLimit: RateLimit | null;
  validate: ValidateSpec | null;
  onDeny: string | null;
  scope: Scope;
  approvalTimeoutMs: number | null;
};

export type ToolEntryKind = "exact" | "glob" | "all";

/** `key` is the entry as written: a tool name, a glob such as `delete_*`, or `"*"`. */
export type ToolEntry = { key: string; kind: ToolEntryKind; rules: Rule[] };

export type Policy = {
  version: "1";
  description: string | null;
  default: Posture;
  hide: string[];
  audit: { arguments: AuditArgumentsMode };
  tools: ToolEntry[];
};
