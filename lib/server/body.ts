import "server-only";

import { AppError } from "@/lib/core/errors";

const MAX_BODY_BYTES = 256 * 1024;

/** The request's JSON body, capped in size; malformed JSON is a VALIDATION error, not a 500. */
export async function readJson(req: Request): Promise<unknown> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw new AppError("VALIDATION", "Request body is too large");
  const text = await req.text();
  if (text.length > MAX_BODY_BYTES) throw new AppError("VALIDATION", "Request body is too large");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError("VALIDATION", "Request body is not valid JSON");
  }
}

export function objectBody(value: unknown): Record<string, unknown> {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new AppError("VALIDATION", "Request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}
