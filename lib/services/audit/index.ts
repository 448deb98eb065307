export { appendAudit, appendEvent, appendEvents, type ConsoleEntry } from "./append";
export { appendChained, type AuditFields, GENESIS_HASH } from "./chain";
export { countAuditRows, pageAuditRows } from "./rows";
export {
  type ChainReport,
  type Checkpoint,
  checkpointIsAuthentic,
  signCheckpoint,
  verifyChain,
} from "./verify";
