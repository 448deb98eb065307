export { decideApproval, DecideApprovalInput } from "./decide";
export {
  approvalFingerprint,
  consumeApproval,
  expireDueApprovals,
  findLiveApproval,
  getApproval,
  insertPendingApproval,
} from "./internal";
export { type ApprovalView, listApprovals, ListApprovalsInput, toApprovalView } from "./list";
