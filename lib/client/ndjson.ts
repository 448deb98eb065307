"use client";

import type { ErrorBody } from "@/lib/core/errors";
import { ApiError } from "./api";
import { getCsrfToken } from "./csrf";

/**
 * POSTs `body` (as JSON, when given) with the CSRF token and yields the lines of the NDJSON
 * answer as they arrive. An answer that is not a 2xx stream throws its ApiError.
 */
export async function* postNdjson<Line>(
  url: string,
  body?: unknown,
  signal?: AbortSignal,
): AsyncGenerator<Line, void, undefined> {
  const headers = new Headers({ accept: "application/x-ndjson, application/json" });
  const csrf = getCsrfToken();
  if (csrf) headers.set("x-csrf-token", csrf);
  if (body !== undefined) headers.set("content-type", "application/json");
  const res = await fetch(url, {
    method: "POST",
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    credentials: "same-origin",
    signal,
  });
  if (!res.ok || !res.body) {
    const answer = (await res.json().catch(() => null)) as ErrorBody | null;
    throw new ApiError(
      res.status,
      answer?.error ?? {
        code: "INTERNAL",
        message: `Unexpected response (${res.status})`,
        requestId: "",
      },
    );
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let buffered = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (value) buffered += value;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line) yield JSON.parse(line) as Line;
      }
      if (done) return;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** The error for a stream that ended before its result line. */
export const endedEarly = (message: string) =>
  new ApiError(500, { code: "INTERNAL", message, requestId: "" });
