"use client";

import type { ChainVerification } from "@/lib/core/audit/views";
import type { ErrorBody } from "@/lib/core/errors";
import { ApiError } from "./api";
import { endedEarly, postNdjson } from "./ndjson";

export type VerifyProgress = { done: number; total: number };

/**
 * Runs the chain verification with progress: reads the NDJSON answer of
 * POST /api/v1/audit/verify?progress=1 line by line, calling `onProgress` as rows are checked.
 */
export async function verifyChainWithProgress(
  onProgress: (p: VerifyProgress) => void,
): Promise<ChainVerification> {
  type Line = { progress: VerifyProgress } | { data: ChainVerification } | ErrorBody;
  for await (const msg of postNdjson<Line>("/api/v1/audit/verify?progress=1")) {
    if ("progress" in msg) onProgress(msg.progress);
    else if ("data" in msg) return msg.data;
    else throw new ApiError(500, msg.error);
  }
  throw endedEarly("The verification ended without a result");
}
