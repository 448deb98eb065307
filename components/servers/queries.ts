import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiFetch } from "@/lib/client/api";
import type { CreateUpstreamInput, UpdateUpstreamInput } from "@/lib/core/upstreams/inputs";
import type { UpstreamView } from "@/lib/core/upstreams/views";
import { upstreamKeys } from "@/components/shared/queries";
import { toolKeys } from "@/components/tools/queries";

function useInvalidateServers() {
  const qc = useQueryClient();
  return () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: upstreamKeys.all }),
      qc.invalidateQueries({ queryKey: toolKeys.all }),
      qc.invalidateQueries({ queryKey: ["policies"] }),
    ]);
}

export function useCreateUpstream() {
  const invalidate = useInvalidateServers();
  return useMutation({
    mutationFn: (input: CreateUpstreamInput) =>
      apiFetch<UpstreamView>("/upstreams", { method: "POST", json: input }),
    onSuccess: invalidate,
  });
}

export function useUpdateUpstream() {
  const invalidate = useInvalidateServers();
  return useMutation({
    mutationFn: ({ upstreamId, ...patch }: UpdateUpstreamInput) =>
      apiFetch<UpstreamView>(`/upstreams/${encodeURIComponent(upstreamId)}`, {
        method: "PATCH",
        json: patch,
      }),
    onSettled: invalidate,
  });
}
