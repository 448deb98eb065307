import { queryOptions } from "@tanstack/react-query";

import { apiFetch } from "@/lib/client/api";
import type { SecurityView } from "@/lib/core/users/views";

export const securityKeys = { mine: ["security", "mine"] as const };

export const mySecurityQuery = () =>
  queryOptions({
    queryKey: securityKeys.mine,
    queryFn: () => apiFetch<SecurityView>("/auth/mfa"),
  });

export type TotpSetup = { secret: string; uri: string; qrSvg: string };

/** Field messages of a VALIDATION error whose details carry `fields`. */
export function detailFields(err: unknown): Record<string, string> {
  const details = (err as { body?: { details?: { fields?: Record<string, string> } } })?.body
    ?.details;
  return details?.fields ?? {};
}
