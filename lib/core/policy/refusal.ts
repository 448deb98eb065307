import type { DenyDecision } from "./decision";

export const REFUSAL_PREFIX = "[POLICY DENIED]";

export type RefusalDetails = {
  decisionId: string;
  rule: string | null;
  reason: string;
  cause: DenyDecision["cause"];
  retryAfterSeconds?: number;
};

/** The `_meta` key that carries a refusal's details. */
export const DECISION_META_KEY = "portcullis/decision";

export type RefusalResult = {
  content: [{ type: "text"; text: string }];
  isError: true;
  _meta: { [DECISION_META_KEY]: RefusalDetails };
};

/**
 * The MCP tool result for a refusal: text `[POLICY DENIED] <message> (decision <id>)`, plus the
 * same facts machine-readable in `_meta["portcullis/decision"]`. Never `structuredContent`: a
 * tool with an `outputSchema` must get content that matches it, and an SDK client rejects the
 * whole result otherwise, so the agent would see a protocol error instead of the refusal.
 */
export function refusalResult(decision: DenyDecision, decisionId: string): RefusalResult {
  const details: RefusalDetails = {
    decisionId,
    rule: decision.rule,
    reason: decision.reason,
    cause: decision.cause,
    ...(decision.retryAfterSeconds === undefined
      ? {}
      : { retryAfterSeconds: decision.retryAfterSeconds }),
  };
  return {
    content: [
      { type: "text", text: `${REFUSAL_PREFIX} ${decision.message} (decision ${decisionId})` },
    ],
    isError: true,
    _meta: { [DECISION_META_KEY]: details },
  };
}

export const APPROVAL_PREFIX = "[APPROVAL PENDING]";

/** The `_meta` key that carries a held call's approval. */
export const APPROVAL_META_KEY = "portcullis/approval";

export type ApprovalPendingDetails = {
  approvalId: string;
  status: "pending";
  decisionId: string;
  rule: string;
  /** ISO 8601. */
  expiresAt: string;
};

/** The MCP tool result for a call parked for approval that was not decided while it was held. */
export function approvalPendingResult(tool: string, details: ApprovalPendingDetails) {
  return {
    content: [
      {
        type: "text" as const,
        text: `${APPROVAL_PREFIX} Tool "${tool}" needs approval ${details.approvalId} (rule "${details.rule}"). It was not run. Once a reviewer approves it, retry the identical call before ${details.expiresAt}.`,
      },
    ],
    isError: true as const,
    _meta: { [APPROVAL_META_KEY]: details },
  };
}
