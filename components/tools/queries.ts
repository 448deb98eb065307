import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";

import { apiFetch, apiUrl } from "@/lib/client/api";
import type { UpstreamInventoryView } from "@/lib/core/upstreams/views";
import type { ToolView } from "@/lib/services/inventory";

export const toolKeys = {
  all: ["tools"] as const,
  list: (server: string) => [...toolKeys.all, "list", server] as const,
  summary: () => [...toolKeys.all, "summary"] as const,
};

export const toolListQuery = (server: string) =>
  queryOptions({
    queryKey: toolKeys.list(server),
    queryFn: () => apiFetch<ToolView[]>(apiUrl("/tools", { server })),
  });

export const toolSummaryQuery = () =>
  queryOptions({
    queryKey: toolKeys.summary(),
    queryFn: () => apiFetch<UpstreamInventoryView[]>("/tools/summary"),
  });

export function useAcceptToolChange() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (toolId: string) =>
      apiFetch<ToolView>(`/tools/${encodeURIComponent(toolId)}/accept`, { method: "POST" }),
    onSettled: () => qc.invalidateQueries({ queryKey: toolKeys.all }),
  });
}
