import type { ErrorBody } from "@/lib/core/errors";
import { getCsrfToken } from "./csrf";

export class ApiError extends Error {
  override readonly name = "ApiError";

  constructor(
    readonly status: number,
    readonly body: ErrorBody["error"],
  ) {
    super(body.message);
  }

  /** Field messages from a VALIDATION error's zod issues or policy errors. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    const details = this.body.details as
      { issues?: { path: (string | number)[]; message: string }[]; field?: string } | undefined;
    for (const issue of details?.issues ?? []) {
      const key = issue.path.join(".") || "_";
      out[key] ??= issue.message;
    }
    if (details?.field) out[details.field] ??= this.body.message;
    return out;
  }
}

const MUTATIONS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function apiUrl(
  path: string,
  params?: Record<string, string | number | boolean | undefined | null>,
): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {}))
    if (v !== undefined && v !== null && v !== "") search.set(k, String(v));
  const qs = search.toString();
  return `/api/v1${path}${qs ? `?${qs}` : ""}`;
}

export async function apiFetch<T>(
  path: string,
  init: RequestInit & { json?: unknown } = {},
): Promise<T> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  headers.set("accept", "application/json");
  if (json !== undefined) headers.set("content-type", "application/json");
  const method = (rest.method ?? "GET").toUpperCase();
  const csrf = getCsrfToken();
  if (MUTATIONS.has(method) && csrf) headers.set("x-csrf-token", csrf);
  const res = await fetch(path.startsWith("/api/") ? path : `/api/v1${path}`, {
    ...rest,
    method,
    headers,
    body: json !== undefined ? JSON.stringify(json) : rest.body,
    credentials: "same-origin",
  });
  let body: { data: T } | ErrorBody;
  try {
    body = (await res.json()) as { data: T } | ErrorBody;
  } catch {
    throw new ApiError(res.status, {
      code: "INTERNAL",
      message: `Unexpected response (${res.status})`,
      requestId: res.headers.get("x-request-id") ?? "",
    });
  }
  if ("error" in body) {
    if (
      res.status === 401 &&
      typeof window !== "undefined" &&
      !window.location.pathname.endsWith("/sign-in")
    ) {
      window.location.replace(new URL("/console/sign-in", window.location.origin).href);
    }
    throw new ApiError(res.status, body.error);
  }
  return body.data;
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    const suffix =
      err.body.code === "INTERNAL" &&
      err.body.requestId &&
      !err.message.includes(err.body.requestId)
        ? ` (request ${err.body.requestId})`
        : "";
    return `${err.message}${suffix}`;
  }
  return err instanceof Error ? err.message : "Something went wrong";
}

/** Validation errors go beside their fields; anything else is reported once through `report`. */
export function reportFormError(
  err: unknown,
  setErrors: (errors: Record<string, string>) => void,
  report: (message: string) => void,
): void {
  if (err instanceof ApiError) setErrors(err.fieldErrors());
  if (!(err instanceof ApiError && err.body.code === "VALIDATION")) report(errorMessage(err));
}
