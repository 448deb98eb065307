export {
  type ArgumentsMode,
  auditArguments,
  describeRawMessage,
  isSecretKey,
  MASK,
} from "./audit-arguments";
export { DecisionBatcher } from "./batch";
export {
  type CallIdentity,
  type CallVerdict,
  type DecideCallInput,
  decideToolCall,
  QUARANTINE_REASON,
  quarantineDecision,
} from "./decide";
export {
  type Outcome,
  type OutcomeInput,
  OutcomeWriter,
  recordRefusal,
  type RefusedMessage,
  ROLLBACK_OUTCOMES,
} from "./records";
