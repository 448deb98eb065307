import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";

import { apiFetch, apiUrl } from "@/lib/client/api";
import type { GrantView } from "@/lib/core/grants/views";
import { grantKeys } from "@/components/audit/queries";

export type GrantFilters = { agentId?: string; upstreamId?: string; includeRevoked?: boolean };

export const grantListKey = (filters: GrantFilters) => [...grantKeys.all, "list", filters] as const;

export const grantListQuery = (filters: GrantFilters = {}) =>
  queryOptions({
    queryKey: grantListKey(filters),
    queryFn: () =>
      apiFetch<GrantView[]>(
        apiUrl("/grants", {
          agentId: filters.agentId,
          upstreamId: filters.upstreamId,
          includeRevoked: filters.includeRevoked ? 1 : undefined,
        }),
      ),
  });

export function useRevokeGrant() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (grantId: string) =>
      apiFetch<GrantView>(`/grants/${encodeURIComponent(grantId)}`, { method: "DELETE" }),
    onSettled: () => qc.invalidateQueries({ queryKey: grantKeys.all }),
  });
}
