export const APP_ERROR_CODES = [
  "VALIDATION",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "RATE_LIMITED",
  "POLICY_DENIED",
  "UPSTREAM_UNAVAILABLE",
  "INTERNAL",
] as const;

export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

/**
 * The only error domain code throws on purpose. `message` is shown to operators as-is;
 * anything sensitive belongs in `cause`, which adapters log and never send.
 */
export class AppError extends Error {
  override readonly name = "AppError";

  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const notFound = (entity: string, id: string) =>
  new AppError("NOT_FOUND", `${entity} ${id} does not exist`, { entity, id });

export const forbidden = (why: string) => new AppError("FORBIDDEN", why);

export const invalid = (message: string, details?: Record<string, unknown>) =>
  new AppError("VALIDATION", message, details);

export const conflict = (message: string, details?: Record<string, unknown>) =>
  new AppError("CONFLICT", message, details);

/** Body of every non-2xx JSON response from app/api; the browser parses exactly this. */
export type ErrorBody = {
  error: { code: AppErrorCode; message: string; requestId: string; details?: unknown };
};
