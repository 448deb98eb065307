import { and, desc, eq, gt, sql } from "drizzle-orm";

import type { Tx } from "@/db/client";
import { loginAttempts, type Session, sessions, type User, users } from "@/db/schema";
import { AppError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import {
  SESSION_IDLE_MS,
  SIGN_IN_MAX_FAILURES_PER_EMAIL,
  SIGN_IN_MAX_FAILURES_PER_IP,
  SIGN_IN_WINDOW_MS,
  SignInInput,
} from "@/lib/core/sessions/inputs";
import { appendAudit } from "../audit/append";
import { type ServiceContext, withTransaction } from "../context";
import { burnPasswordCheck, verifyPassword } from "../users/password";
import { hashSessionToken, newSessionToken } from "./tokens";

export type SignInResult = { token: string; session: Session; user: User };

const WRONG = "Email or password is incorrect";

/**
 * Checks an email and password and opens a session. The attempt is recorded as a failure
 * before the password is checked, so parallel guesses count against the limits too: more than
 * 5 failures per email (since its last success) or 30 per IP within 15 minutes answer
 * RATE_LIMITED with `retryAfterSeconds`. Wrong email, wrong password and disabled account all
 * answer the same UNAUTHENTICATED message. Audits user.sign_in / user.sign_in_fail.
 * Returns the cookie token, which is stored only as its SHA-256.
 */
export async function signIn(ctx: ServiceContext, raw: SignInInput): Promise<SignInResult> {
  const input = SignInInput.parse(raw);
  const nowMs = ctx.now().getTime();
  const { attemptId, user } = withTransaction(ctx, (tx) => {
    throttle(tx, input.email, ctx.remoteIp ?? null, nowMs);
    const attempt = tx
      .insert(loginAttempts)
      .values({
        email: input.email,
        remoteIp: ctx.remoteIp ?? null,
        succeeded: false,
        at: new Date(nowMs),
      })
      .returning({ id: loginAttempts.id })
      .get();
    const found = tx.select().from(users).where(eq(users.email, input.email)).get();
    return { attemptId: attempt.id, user: found };
  });

  const ok = user
    ? await verifyPassword(user.passwordHash, input.password)
    : (await burnPasswordCheck(input.password), false);
  if (!user || !ok || user.disabledAt !== null) {
    withTransaction(ctx, (tx) => {
      appendAudit(tx, ctx, {
        action: "user.sign_in_fail",
        target: { type: "user", id: user?.id ?? input.email },
        reason: !user ? "unknown email" : !ok ? "wrong password" : "account disabled",
        extra: { email: input.email },
      });
    });
    throw new AppError("UNAUTHENTICATED", WRONG);
  }

  const token = newSessionToken();
  return withTransaction(ctx, (tx) => {
    const now = ctx.now();
    tx.update(loginAttempts).set({ succeeded: true }).where(eq(loginAttempts.id, attemptId)).run();
    const session = tx
      .insert(sessions)
      .values({
        id: newId("session"),
        tokenHash: hashSessionToken(token),
        userId: user.id,
        csrfToken: newSessionToken(),
        createdAt: now,
        expiresAt: new Date(now.getTime() + SESSION_IDLE_MS),
        lastSeenAt: now,
        remoteIp: ctx.remoteIp ?? null,
        userAgent: ctx.userAgent?.slice(0, 512) ?? null,
      })
      .returning()
      .get();
    const updated =
      tx.update(users).set({ lastLoginAt: now }).where(eq(users.id, user.id)).returning().get() ??
      user;
    const asUser: ServiceContext = {
      ...ctx,
      actor: { type: "user", userId: user.id, label: user.email, role: user.role },
    };
    appendAudit(tx, asUser, {
      action: "user.sign_in",
      target: { type: "user", id: user.id },
      extra: { sessionId: session.id },
    });
    return { token, session, user: updated };
  });
}

function throttle(tx: Tx, email: string, remoteIp: string | null, nowMs: number): void {
  const windowStart = nowMs - SIGN_IN_WINDOW_MS;
  const lastSuccess = tx
    .select({ at: loginAttempts.at })
    .from(loginAttempts)
    .where(
      and(
        eq(loginAttempts.email, email),
        eq(loginAttempts.succeeded, true),
        gt(loginAttempts.at, new Date(windowStart)),
      ),
    )
    .orderBy(desc(loginAttempts.at))
    .limit(1)
    .get();
  const since = Math.max(windowStart, lastSuccess?.at.getTime() ?? 0);
  const byEmail = failures(tx, eq(loginAttempts.email, email), since);
  if (byEmail.count >= SIGN_IN_MAX_FAILURES_PER_EMAIL) limited(byEmail.oldest, nowMs);
  if (remoteIp) {
    const byIp = failures(tx, eq(loginAttempts.remoteIp, remoteIp), windowStart);
    if (byIp.count >= SIGN_IN_MAX_FAILURES_PER_IP) limited(byIp.oldest, nowMs);
  }
}

function failures(
  tx: Tx,
  who: ReturnType<typeof eq>,
  sinceMs: number,
): { count: number; oldest: number } {
  const row = tx
    .select({ count: sql<number>`count(*)`, oldest: sql<number | null>`min(${loginAttempts.at})` })
    .from(loginAttempts)
    .where(and(who, eq(loginAttempts.succeeded, false), gt(loginAttempts.at, new Date(sinceMs))))
    .get();
  return { count: row?.count ?? 0, oldest: row?.oldest ?? sinceMs };
}

function limited(oldestMs: number, nowMs: number): never {
  const retryAfterSeconds = Math.max(1, Math.ceil((oldestMs + SIGN_IN_WINDOW_MS - nowMs) / 1000));
  const minutes = Math.ceil(retryAfterSeconds / 60);
  throw new AppError(
    "RATE_LIMITED",
    `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
    { retryAfterSeconds },
  );
}
