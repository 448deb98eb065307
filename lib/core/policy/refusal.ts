import type { DenyDecision } from "./decision";

export const REFUSAL_PREFIX = "[POLICY DENIED]";

export type RefusalDetails = {
  decisionId: string;
  rule: string | null;
  reason: string;
  cause: DenyDecision["cause"];
  retryAfterSeconds?: number;
};

export type RefusalResult = {
  content: [{ type: "text"; text: string }];
  isError: true;
  structuredContent: RefusalDetails;
  _meta: { "portcullis/decision": RefusalDetails };
};

/**
 * The MCP tool result for a refusal: text `[POLICY DENIED] <message> (decision <id>)`, plus the
 * same facts machine-readable in `structuredContent` and `_meta`.
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
    structuredContent: details,
    _meta: { "portcullis/decision": details },
  };
}
