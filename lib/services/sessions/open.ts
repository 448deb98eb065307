import { eq } from "drizzle-orm";

import type { Tx } from "@/db/client";
import { type Session, sessions, type User, users } from "@/db/schema";
import { newId } from "@/lib/core/ids";
import { SESSION_IDLE_MS } from "@/lib/core/sessions/inputs";
import { appendAudit } from "../audit/append";
import type { ServiceContext } from "../context";
import { hashSessionToken, newSessionToken } from "./tokens";

export type OpenedSession = { token: string; session: Session; user: User };

/**
 * Opens a session for a user who has proved who they are, stamps their last sign-in and
 * audits user.sign_in as them. The token goes to the cookie; only its SHA-256 is stored.
 */
export function openSession(
  tx: Tx,
  ctx: ServiceContext,
  user: User,
  extra: Record<string, unknown> = {},
): OpenedSession {
  const token = newSessionToken();
  const now = ctx.now();
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
    extra: { sessionId: session.id, ...extra },
  });
  return { token, session, user: updated };
}

/** One record for every refused sign-in step: who was named, why, never the secret given. */
export function auditSignInRefusal(
  tx: Tx,
  ctx: ServiceContext,
  entry: { userId: string | null; email: string; reason: string; extra?: Record<string, unknown> },
): void {
  appendAudit(tx, ctx, {
    action: "user.sign_in_fail",
    target: { type: "user", id: entry.userId ?? entry.email },
    reason: entry.reason,
    extra: { email: entry.email, ...entry.extra },
  });
}
