export { type AuditExport, csvCell, exportAuditEvents, ExportAuditInput } from "./export";
export { getAuditEvent, headSeq, listAuditEvents, tailAuditEvents } from "./list";
export { auditStats } from "./stats";
export { verifyAuditChain } from "./verify-report";
export { roleOf, toAuditEventView } from "./views";
