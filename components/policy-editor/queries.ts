import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";

import { apiFetch } from "@/lib/client/api";
import type { PolicyIssue } from "@/lib/core/policy/types";
import type {
  PolicySummaryView,
  PolicyValidationView,
  PolicyVersionDetailView,
  PolicyVersionView,
} from "@/lib/core/policies/views";
import { upstreamKeys } from "@/components/shared/queries";

export const policyKeys = {
  all: ["policies"] as const,
  summaries: () => [...policyKeys.all, "summaries"] as const,
  versions: (upstreamId: string) => [...policyKeys.all, "versions", upstreamId] as const,
  version: (id: string) => [...policyKeys.all, "version", id] as const,
};

export const policySummariesQuery = () =>
  queryOptions({
    queryKey: policyKeys.summaries(),
    queryFn: () => apiFetch<PolicySummaryView[]>("/policies"),
  });

export const policyVersionsQuery = (upstreamId: string) =>
  queryOptions({
    queryKey: policyKeys.versions(upstreamId),
    queryFn: () =>
      apiFetch<PolicyVersionView[]>(`/upstreams/${encodeURIComponent(upstreamId)}/policy/versions`),
  });

export const policyVersionQuery = (id: string) =>
  queryOptions({
    queryKey: policyKeys.version(id),
    queryFn: () => apiFetch<PolicyVersionDetailView>(`/policy-versions/${encodeURIComponent(id)}`),
    staleTime: Infinity,
  });

export function validatePolicyDraft(
  yaml: string,
  signal?: AbortSignal,
): Promise<PolicyValidationView> {
  return apiFetch<PolicyValidationView>("/policies/validate", {
    method: "POST",
    json: { yaml },
    signal,
  });
}

export function fetchStarterPolicy(upstreamId: string): Promise<{ yaml: string; tools: number }> {
  return apiFetch(`/upstreams/${encodeURIComponent(upstreamId)}/policy/starter`);
}

export type SavedPolicy = {
  version: PolicyVersionView;
  activated: boolean;
  warnings: PolicyIssue[];
};

function useInvalidatePolicy() {
  const qc = useQueryClient();
  return (upstreamId: string) =>
    Promise.all([
      qc.invalidateQueries({ queryKey: policyKeys.all }),
      qc.invalidateQueries({ queryKey: upstreamKeys.policy(upstreamId) }),
      qc.invalidateQueries({ queryKey: upstreamKeys.list() }),
    ]);
}

export function useSavePolicy(upstreamId: string) {
  const invalidate = useInvalidatePolicy();
  return useMutation({
    mutationFn: (input: { yaml: string; comment: string | null }) =>
      apiFetch<SavedPolicy>(`/upstreams/${encodeURIComponent(upstreamId)}/policy`, {
        method: "POST",
        json: { ...input, activate: true },
      }),
    onSuccess: () => invalidate(upstreamId),
  });
}

export function useActivateVersion(upstreamId: string) {
  const invalidate = useInvalidatePolicy();
  return useMutation({
    mutationFn: (versionId: string) =>
      apiFetch<{ policyId: string; activeVersionId: string }>(
        `/policy-versions/${encodeURIComponent(versionId)}/activate`,
        { method: "POST" },
      ),
    onSettled: () => invalidate(upstreamId),
  });
}
