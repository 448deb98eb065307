import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";

import { apiFetch, apiUrl } from "@/lib/client/api";

/** Mirrors the approvals service's view (lib/services/approvals) on the wire. */
export type ApprovalView = {
  id: string;
  status: "pending" | "approved" | "denied" | "expired" | "consumed";
  agentId: string;
  agentName: string;
  server: string;
  tool: string;
  arguments: unknown;
  argumentsMasked?: boolean;
  rule: string;
  reason: string | null;
  decisionId: string;
  requestedAt: string;
  expiresAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  comment: string | null;
  consumedAt: string | null;
  consumedByDecisionId: string | null;
};

export const approvalKeys = {
  all: ["approvals"] as const,
  list: (status?: string) => [...approvalKeys.all, "list", status ?? "all"] as const,
};

export const approvalListQuery = (status?: "pending") =>
  queryOptions({
    queryKey: approvalKeys.list(status),
    queryFn: () => apiFetch<ApprovalView[]>(apiUrl("/approvals", { status, limit: 200 })),
    refetchInterval: 15_000,
  });

export function useDecideApproval() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: { id: string; decision: "approve" | "deny"; comment?: string }) =>
      apiFetch<ApprovalView>(`/approvals/${encodeURIComponent(input.id)}/decision`, {
        method: "POST",
        json: { decision: input.decision, comment: input.comment || undefined },
      }),
    onSettled: () => qc.invalidateQueries({ queryKey: approvalKeys.all }),
  });
}
