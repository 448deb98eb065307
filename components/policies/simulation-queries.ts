import { useMutation } from "@tanstack/react-query";

import { ApiError, apiFetch } from "@/lib/client/api";
import { getCsrfToken } from "@/lib/client/csrf";
import type { ErrorBody } from "@/lib/core/errors";
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
  const res = await fetch(`/api/v1/upstreams/${encodeURIComponent(upstreamId)}/policy/replay`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/x-ndjson, application/json",
      "x-csrf-token": getCsrfToken() ?? "",
    },
    body: JSON.stringify(input),
    credentials: "same-origin",
    signal,
  });
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => null)) as ErrorBody | null;
    throw new ApiError(
      res.status,
      body?.error ?? { code: "INTERNAL", message: `Replay failed (${res.status})`, requestId: "" },
    );
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buffered += value;
    let cut: number;
    while ((cut = buffered.indexOf("\n")) >= 0) {
      const line = JSON.parse(buffered.slice(0, cut)) as ReplayLine;
      buffered = buffered.slice(cut + 1);
      if (line.type === "progress") onProgress(line.done, line.total);
      else if (line.type === "result") return line.report;
      else throw new ApiError(500, { code: "INTERNAL", message: line.message, requestId: "" });
    }
    if (done)
      throw new ApiError(500, { code: "INTERNAL", message: "Replay ended early", requestId: "" });
  }
}
