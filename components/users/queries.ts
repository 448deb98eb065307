import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";

import { apiFetch } from "@/lib/client/api";
import type { CreateUserInput, UpdateUserInput } from "@/lib/core/users/inputs";
import type { UserView } from "@/lib/core/users/views";

export const userKeys = {
  all: ["users"] as const,
  list: () => [...userKeys.all, "list"] as const,
};

export const userListQuery = () =>
  queryOptions({ queryKey: userKeys.list(), queryFn: () => apiFetch<UserView[]>("/users") });

export function useCreateUser() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateUserInput) =>
      apiFetch<UserView>("/users", { method: "POST", json: input }),
    onSuccess: () => qc.invalidateQueries({ queryKey: userKeys.all }),
  });
}

export function useUpdateUser() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, ...patch }: UpdateUserInput) =>
      apiFetch<UserView>(`/users/${encodeURIComponent(id)}`, { method: "PATCH", json: patch }),
    onSettled: () => qc.invalidateQueries({ queryKey: userKeys.all }),
  });
}

export const authSettingsQuery = () =>
  queryOptions({
    queryKey: [...userKeys.all, "settings"] as const,
    queryFn: () => apiFetch<{ mfaRequired: boolean }>("/settings/auth"),
  });

/** Admin actions on one user: clear their sign-in backoff, or remove their two-factor. */
export function useUserAction() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action }: { id: string; action: "unlock" | "reset-mfa" }) =>
      action === "unlock"
        ? apiFetch(`/users/${encodeURIComponent(id)}/unlock`, { method: "POST" })
        : apiFetch(`/users/${encodeURIComponent(id)}/mfa`, { method: "DELETE" }),
    onSettled: () => qc.invalidateQueries({ queryKey: userKeys.all }),
  });
}

export function useSetMfaRequired() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (mfaRequired: boolean) =>
      apiFetch<{ mfaRequired: boolean }>("/settings/auth", {
        method: "PATCH",
        json: { mfaRequired },
      }),
    onSettled: () => qc.invalidateQueries({ queryKey: userKeys.all }),
  });
}
