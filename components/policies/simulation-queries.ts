import { useMutation } from "@tanstack/react-query";

import { ApiError, apiFetch } from "@/lib/client/api";
import { endedEarly, postNdjson } from "@/lib/client/ndjson";
import type { DryRunInput } from "@/lib/core/simulation/inputs";
import type {
  DryRunView,
  GrantCheckView,
  ReplayLine,
  ReplayReport,
} from "@/lib/core/simulation/views";

export function useDryRun(upstreamId: string) {
  return useMutation({
    mutationFn: (input: Omit<DryRunInput, "upstreamId">) =>
      apiFetch<DryRunView>(`/upstreams/${encodeURIComponent(upstreamId)}/policy/dry-run`, {
        method: "POST",
        json: input,
      }),
  });
}

export function checkGrant(
  input: {
    eventId: string;
    toolPattern: string;
    rateLimit: { max: number; windowSeconds: number } | null;
  },
  signal?: AbortSignal,
): Promise<GrantCheckView> {
  return apiFetch<GrantCheckView>("/grants/check", { method: "POST", json: input, signal });
}

/** Runs a replay, reporting progress as the NDJSON lines arrive; resolves with the report. */
export async function runReplay(
  upstreamId: string,
  input: { draft: string | null; limit: number },
  onProgress: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<ReplayReport> {
  const url = `/api/v1/upstreams/${encodeURIComponent(upstreamId)}/policy/replay`;
  for await (const line of postNdjson<ReplayLine>(url, input, signal)) {
    if (line.type === "progress") onProgress(line.done, line.total);
    else if (line.type === "result") return line.report;
    else throw new ApiError(500, { code: "INTERNAL", message: line.message, requestId: "" });
  }
  throw endedEarly("Replay ended early");
}
