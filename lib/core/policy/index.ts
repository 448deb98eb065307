export { parsePolicy, type ParseResult } from "./parse";
export { compilePolicy, PolicySnapshot } from "./snapshot";
export { loadPolicy, type LoadResult } from "./load";
export { IMPLICIT_DENY } from "./implicit";
export { counterKey, evaluate, grantLimit } from "./evaluate";
export {
  APPROVAL_META_KEY,
  APPROVAL_PREFIX,
  type ApprovalPendingDetails,
  approvalPendingResult,
  DECISION_META_KEY,
  refusalResult,
  REFUSAL_PREFIX,
  type RefusalDetails,
  type RefusalResult,
} from "./refusal";
export { auditArgumentsMode, visibleTools } from "./visible-tools";
export { calendarWindow, rollingWindow, UNIT_MS, type CounterWindow } from "./windows";
export { hiddenMessage, notPermittedMessage, rateLimitMessage, ruleMessage } from "./messages";
export type {
  CounterEntry,
  CounterReader,
  Decision,
  DenyCause,
  DenyDecision,
  EvaluateInput,
  Grant,
  Reservation,
} from "./decision";
export type { ToolDefinition } from "./schema-validator";
export type {
  AuditArgumentsMode,
  CalendarUnit,
  Condition,
  ConditionOp,
  Policy,
  PolicyIssue,
  Posture,
  RateLimit,
  Rule,
  RuleAction,
  Scope,
  StateSpec,
  ToolEntry,
  ValidateSpec,
} from "./types";
