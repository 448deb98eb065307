import { queryOptions } from "@tanstack/react-query";

import { apiFetch } from "@/lib/client/api";
import type { ClientConfigEnvironment } from "@/lib/core/client-config/generate";

export const clientConfigEnvironmentQuery = () =>
  queryOptions({
    queryKey: ["client-config"] as const,
    queryFn: () => apiFetch<ClientConfigEnvironment>("/client-config"),
    staleTime: Infinity,
  });
