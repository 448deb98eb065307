import "server-only";

import { type NextRequest, NextResponse } from "next/server";
import { ZodError } from "zod";

import type { Role } from "@/db/schema";
import { AppError, type AppErrorCode, type ErrorBody } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import { type ServiceContext, requireRole } from "@/lib/services/context";
import { mfaEnrolmentDue } from "@/lib/services/mfa";
import { type ResolvedSession, resolveSession, tokensEqual } from "@/lib/services/sessions";
import { actorOf, readSessionToken } from "./auth";
import { getDb } from "./db";
import { log } from "./log";
import { clientIp, isSameOrigin } from "./request-meta";

export const STATUS: Record<AppErrorCode, number> = {
  VALIDATION: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  POLICY_DENIED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  UPSTREAM_UNAVAILABLE: 502,
  INTERNAL: 500,
};

const MUTATIONS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** `beforeMfa`: reachable while two-factor is required and not yet set up (enrolment itself). */
export type RouteOptions = { auth: "public" } | { auth: Role; beforeMfa?: boolean };

export type RouteExtra<P> = { params: P; session: ResolvedSession | null };

type Handler<P> = (ctx: ServiceContext, req: NextRequest, extra: RouteExtra<P>) => unknown;

type Segment<P> = { params: Promise<P> };

/**
 * Wraps an app/api route handler: builds the ServiceContext (actor from the session cookie),
 * refuses cross-origin mutations (all of them) and authenticated mutations without the
 * session's CSRF token (header `x-csrf-token`), checks the route's minimum role, and maps every
 * error through one table. Success answers `{ data }` unless the handler returns a Response
 * (streams, downloads). Services check the role again: the route's check is not the only one.
 */
export function route<P = Record<string, never>>(options: RouteOptions, handler: Handler<P>) {
  return async (req: NextRequest, segment: Segment<P>): Promise<Response> => {
    const requestId = newId("request");
    try {
      const mutation = MUTATIONS.has(req.method);
      if (mutation && !isSameOrigin(req.headers)) {
        throw new AppError("FORBIDDEN", "Cross-origin request refused");
      }
      const db = getDb();
      const token = readSessionToken(req.cookies, req.headers);
      const session = token ? resolveSession(db, token, new Date()) : null;
      const ctx: ServiceContext = {
        db,
        actor: session ? actorOf(session) : { type: "anonymous" },
        source: "console",
        requestId,
        now: () => new Date(),
        remoteIp: clientIp(req.headers),
        userAgent: req.headers.get("user-agent")?.slice(0, 512) ?? undefined,
      };
      if (options.auth !== "public") {
        if (!session) throw new AppError("UNAUTHENTICATED", "Sign in first");
        if (
          mutation &&
          !tokensEqual(req.headers.get("x-csrf-token") ?? "", session.session.csrfToken)
        ) {
          throw new AppError(
            "FORBIDDEN",
            "Missing or invalid CSRF token; reload the page and try again",
          );
        }
        requireRole(ctx, options.auth);
        if (!options.beforeMfa && mfaEnrolmentDue(db, session.user)) {
          throw new AppError("FORBIDDEN", "Set up two-factor authentication first", {
            mfa: "enrol",
          });
        }
      }
      const params = (await segment?.params) ?? ({} as P);
      const data = await handler(ctx, req, { params, session });
      if (data instanceof Response) {
        data.headers.set("x-request-id", requestId);
        return data;
      }
      return NextResponse.json(
        { data: data ?? null },
        { headers: { "x-request-id": requestId, "cache-control": "no-store" } },
      );
    } catch (err) {
      return errorResponse(err, requestId, req);
    }
  };
}

export function errorResponse(
  err: unknown,
  requestId: string,
  req?: NextRequest,
): NextResponse<ErrorBody> {
  const headers: Record<string, string> = {
    "x-request-id": requestId,
    "cache-control": "no-store",
  };
  if (err instanceof ZodError) {
    const error = {
      code: "VALIDATION" as const,
      message: "Invalid input",
      requestId,
      details: { issues: err.issues },
    };
    return NextResponse.json({ error }, { status: 400, headers });
  }
  if (err instanceof AppError) {
    if (err.code === "INTERNAL")
      log.error({ err, requestId, cause: String(err.cause ?? "") }, err.message);
    const retry = err.details?.retryAfterSeconds;
    if (err.code === "RATE_LIMITED" && typeof retry === "number")
      headers["retry-after"] = String(retry);
    const error = {
      code: err.code,
      message: err.message,
      requestId,
      ...(err.details ? { details: err.details } : {}),
    };
    return NextResponse.json({ error }, { status: STATUS[err.code], headers });
  }
  // Unknown errors can carry SQL or file paths: log all of it, send none of it.
  log.error(
    { err, requestId, method: req?.method, path: req?.nextUrl.pathname },
    "unhandled error",
  );
  const error = {
    code: "INTERNAL" as const,
    message: `Something went wrong (request ${requestId})`,
    requestId,
  };
  return NextResponse.json({ error }, { status: 500, headers });
}
