import {
  infiniteQueryOptions,
  queryOptions,
  useMutation,
  useQueryClient,
} from "@tanstack/react-query";

import { apiFetch, apiUrl } from "@/lib/client/api";
import type {
  AuditEventDetail,
  AuditPage,
  AuditStats,
  ChainVerification,
} from "@/lib/core/audit/views";
import type { GrantView } from "@/lib/core/grants/views";
import type { ActivePolicyView } from "@/lib/core/policies/views";
import type { CreateGrantInput } from "@/lib/core/grants/inputs";
import { upstreamKeys } from "@/components/shared/queries";

export type AuditFilters = {
  view?: "all" | "decisions" | "denied";
  from?: string;
  to?: string;
  server?: string;
  agent?: string;
  tool?: string;
  decision?: string;
  rule?: string;
  q?: string;
};

export const auditKeys = {
  all: ["audit"] as const,
  lists: () => [...auditKeys.all, "list"] as const,
  list: (filters: AuditFilters) => [...auditKeys.lists(), filters] as const,
  detail: (id: string) => [...auditKeys.all, "detail", id] as const,
  stats: (filters: { server?: string; agent?: string; minutes?: number }) =>
    [...auditKeys.all, "stats", filters] as const,
};

export const grantKeys = { all: ["grants"] as const };

const PAGE = 200;

export const auditListQuery = (filters: AuditFilters) =>
  infiniteQueryOptions({
    queryKey: auditKeys.list(filters),
    queryFn: ({ pageParam }) =>
      apiFetch<AuditPage>(
        apiUrl("/audit", { ...filters, limit: PAGE, cursor: pageParam ?? undefined }),
      ),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.nextCursor,
  });

export const auditDetailQuery = (id: string) =>
  queryOptions({
    queryKey: auditKeys.detail(id),
    queryFn: () => apiFetch<AuditEventDetail>(`/audit/${encodeURIComponent(id)}`),
  });

export const auditStatsQuery = (filters: { server?: string; agent?: string; minutes?: number }) =>
  queryOptions({
    queryKey: auditKeys.stats(filters),
    queryFn: () => apiFetch<AuditStats>(apiUrl("/audit/stats", filters)),
    refetchInterval: 10_000,
  });

export const activePolicyQuery = (upstreamId: string) =>
  queryOptions({
    queryKey: upstreamKeys.policy(upstreamId),
    queryFn: () =>
      apiFetch<ActivePolicyView>(`/upstreams/${encodeURIComponent(upstreamId)}/policy`),
  });

export function useVerifyChain() {
  return useMutation({
    mutationFn: () => apiFetch<ChainVerification>("/audit/verify", { method: "POST" }),
  });
}

export function useCreateGrant() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateGrantInput) =>
      apiFetch<GrantView>("/grants", { method: "POST", json: input }),
    onSuccess: () => qc.invalidateQueries({ queryKey: grantKeys.all }),
  });
}

export function exportUrl(filters: AuditFilters, format: "csv" | "jsonl"): string {
  return apiUrl("/audit/export", { ...filters, format });
}
