import { queryOptions } from "@tanstack/react-query";

import { apiFetch } from "@/lib/client/api";
import type { AgentView } from "@/lib/core/agents/views";
import type { UpstreamView } from "@/lib/core/upstreams/views";

export const upstreamKeys = {
  all: ["upstreams"] as const,
  list: () => [...upstreamKeys.all, "list"] as const,
  policy: (id: string) => [...upstreamKeys.all, "policy", id] as const,
};

export const agentKeys = {
  all: ["agents"] as const,
  list: () => [...agentKeys.all, "list"] as const,
};

export const upstreamListQuery = () =>
  queryOptions({
    queryKey: upstreamKeys.list(),
    queryFn: () => apiFetch<UpstreamView[]>("/upstreams"),
    staleTime: 60_000,
  });

export const agentListQuery = () =>
  queryOptions({
    queryKey: agentKeys.list(),
    queryFn: () => apiFetch<AgentView[]>("/agents"),
    staleTime: 60_000,
  });
