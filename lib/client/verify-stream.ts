"use client";

import type { ChainVerification } from "@/lib/core/audit/views";
import type { ErrorBody } from "@/lib/core/errors";
import { ApiError } from "./api";
import { getCsrfToken } from "./csrf";

export type VerifyProgress = { done: number; total: number };

/**
 * Runs the chain verification with progress: reads the NDJSON answer of
 * POST /api/v1/audit/verify?progress=1 line by line, calling `onProgress` as rows are checked.
 */
export async function verifyChainWithProgress(
  onProgress: (p: VerifyProgress) => void,
): Promise<ChainVerification> {
  const headers = new Headers({ accept: "application/x-ndjson" });
  const csrf = getCsrfToken();
  if (csrf) headers.set("x-csrf-token", csrf);
  const res = await fetch("/api/v1/audit/verify?progress=1", {
    method: "POST",
    headers,
    credentials: "same-origin",
  });
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => null)) as ErrorBody | null;
    throw new ApiError(
      res.status,
      body?.error ?? {
        code: "INTERNAL",
        message: `Unexpected response (${res.status})`,
        requestId: "",
      },
    );
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buffered += value;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line) continue;
      const msg = JSON.parse(line) as
        { progress: VerifyProgress } | { data: ChainVerification } | ErrorBody;
      if ("progress" in msg) onProgress(msg.progress);
      else if ("data" in msg) return msg.data;
      else throw new ApiError(500, msg.error);
    }
    if (done)
      throw new ApiError(500, {
        code: "INTERNAL",
        message: "The verification ended without a result",
        requestId: "",
      });
  }
}
