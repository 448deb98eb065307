import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiFetch } from "@/lib/client/api";
import type { CreateAgentInput, UpdateAgentInput } from "@/lib/core/agents/inputs";
import type { AgentKeyView, AgentView } from "@/lib/core/agents/views";
import { agentKeys } from "@/components/shared/queries";

export type IssuedKey = { key: string; row: AgentKeyView };

function useInvalidateAgents() {
  const qc = useQueryClient();
  return () => qc.invalidateQueries({ queryKey: agentKeys.all });
}

export function useCreateAgent() {
  const invalidate = useInvalidateAgents();
  return useMutation({
    mutationFn: (input: CreateAgentInput) =>
      apiFetch<AgentView>("/agents", { method: "POST", json: input }),
    onSuccess: invalidate,
  });
}

export function useUpdateAgent() {
  const invalidate = useInvalidateAgents();
  return useMutation({
    mutationFn: ({ agentId, ...patch }: UpdateAgentInput) =>
      apiFetch<AgentView>(`/agents/${encodeURIComponent(agentId)}`, {
        method: "PATCH",
        json: patch,
      }),
    onSettled: invalidate,
  });
}

export function useCreateAgentKey() {
  const invalidate = useInvalidateAgents();
  return useMutation({
    mutationFn: ({
      agentId,
      ...input
    }: {
      agentId: string;
      name: string;
      expiresAt: string | null;
    }) =>
      apiFetch<IssuedKey>(`/agents/${encodeURIComponent(agentId)}/keys`, {
        method: "POST",
        json: input,
      }),
    onSuccess: invalidate,
  });
}

export function useRevokeAgentKey() {
  const invalidate = useInvalidateAgents();
  return useMutation({
    mutationFn: (keyId: string) =>
      apiFetch<AgentKeyView>(`/agent-keys/${encodeURIComponent(keyId)}`, { method: "DELETE" }),
    onSettled: invalidate,
  });
}
