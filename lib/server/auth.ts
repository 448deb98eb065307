import "server-only";

import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { cache } from "react";

import type { Role } from "@/db/schema";
import { CHALLENGE_TTL_MS, SESSION_MAX_MS } from "@/lib/core/sessions/inputs";
import { newId } from "@/lib/core/ids";
import type { Actor, ServiceContext } from "@/lib/services/context";
import { mfaEnrolmentDue } from "@/lib/services/mfa";
import { type ResolvedSession, resolveSession } from "@/lib/services/sessions";
import { getDb } from "./db";
import { clientIp, isHttps } from "./request-meta";

const PLAIN_COOKIE = "portcullis_session";
// The __Host- prefix makes the browser refuse the cookie unless it is Secure, host-only and
// Path=/, so a sibling subdomain cannot plant or overwrite it.
const HOST_COOKIE = "__Host-portcullis_session";

type HeaderBag = { get(name: string): string | null };
type CookieBag = { get(name: string): { value: string } | undefined };

export function sessionCookieName(secure: boolean): string {
  return secure ? HOST_COOKIE : PLAIN_COOKIE;
}

export function readSessionToken(cookieBag: CookieBag, headerBag: HeaderBag): string | undefined {
  return cookieBag.get(sessionCookieName(isHttps(headerBag)))?.value;
}

export function sessionCookie(token: string, secure: boolean) {
  return {
    name: sessionCookieName(secure),
    value: token,
    httpOnly: true,
    sameSite: "strict" as const,
    secure,
    path: "/",
    maxAge: Math.floor(SESSION_MAX_MS / 1000),
  };
}

export function clearedSessionCookie(secure: boolean) {
  return { ...sessionCookie("", secure), maxAge: 0 };
}

// Between a right password and a right code the browser holds only this short-lived token.
const PLAIN_CHALLENGE = "portcullis_sign_in";
const HOST_CHALLENGE = "__Host-portcullis_sign_in";

export function challengeCookie(token: string, secure: boolean) {
  return {
    name: secure ? HOST_CHALLENGE : PLAIN_CHALLENGE,
    value: token,
    httpOnly: true,
    sameSite: "strict" as const,
    secure,
    path: "/",
    maxAge: Math.floor(CHALLENGE_TTL_MS / 1000),
  };
}

export function clearedChallengeCookie(secure: boolean) {
  return { ...challengeCookie("", secure), maxAge: 0 };
}

export function readChallengeToken(cookieBag: CookieBag, headerBag: HeaderBag): string | undefined {
  return cookieBag.get(isHttps(headerBag) ? HOST_CHALLENGE : PLAIN_CHALLENGE)?.value;
}

export function actorOf(resolved: ResolvedSession): Actor & { type: "user" } {
  return {
    type: "user",
    userId: resolved.user.id,
    label: resolved.user.email,
    role: resolved.user.role,
  };
}

/** The session of the current request (server components), resolved once per render. */
export const currentSession = cache(async (): Promise<ResolvedSession | null> => {
  const [cookieStore, headerStore] = await Promise.all([cookies(), headers()]);
  const token = readSessionToken(cookieStore, headerStore);
  if (!token) return null;
  return resolveSession(getDb(), token, new Date());
});

export type PageContext = {
  ctx: ServiceContext;
  actor: Actor & { type: "user" };
  user: { id: string; email: string; name: string; role: Role };
  csrfToken: string;
};

/**
 * For server components: the signed-in user's service context, or a redirect to the sign-in
 * page (or, while an admin requires two-factor and this user has none, to setting it up).
 * Services still check the role themselves.
 */
export async function pageActor(
  options: { beforeMfa?: boolean } = {},
): Promise<PageContext> {
  const resolved = await currentSession();
  if (!resolved) redirect("/console/sign-in");
  if (!options.beforeMfa && mfaEnrolmentDue(getDb(), resolved.user))
    redirect("/console/account?enrol=required");
  const headerStore = await headers();
  const actor = actorOf(resolved);
  return {
    ctx: {
      db: getDb(),
      actor,
      source: "console",
      requestId: newId("request"),
      now: () => new Date(),
      remoteIp: clientIp(headerStore),
      userAgent: headerStore.get("user-agent") ?? undefined,
    },
    actor,
    user: {
      id: resolved.user.id,
      email: resolved.user.email,
      name: resolved.user.name,
      role: resolved.user.role,
    },
    csrfToken: resolved.session.csrfToken,
  };
}
