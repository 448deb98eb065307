import { and, eq } from "drizzle-orm";

import type { Db, Tx } from "@/db/client";
import { sessions } from "@/db/schema";
import { AppError, invalid } from "@/lib/core/errors";
import { REAUTH_FRESH_MS, ReauthInput } from "@/lib/core/sessions/inputs";
import { appendAudit } from "../audit/append";
import { type ServiceContext, withTransaction } from "../context";
import { checkSecondFactor } from "../mfa/second-factor";
import { getUserOrThrow } from "../users/internal";
import { verifyPassword } from "../users/password";
import { admitAttempt, refund, settleSuccess, throttledError, throttleKeys } from "./throttle";

/**
 * The signed-in user confirms their password, and their code when two-factor is on, for this
 * session: sensitive changes within REAUTH_FRESH_MS need no second confirmation. Charged to the
 * sign-in backoff like a sign-in (a stolen session must not become a password oracle). Audits
 * user.reauth or user.reauth_fail.
 */
export async function reauthenticate(
  ctx: ServiceContext,
  sessionId: string,
  raw: ReauthInput,
): Promise<{ until: Date }> {
  if (ctx.actor.type !== "user") throw new AppError("UNAUTHENTICATED", "Sign in first");
  const input = ReauthInput.parse(raw);
  const user = getUserOrThrow(ctx.db, ctx.actor.userId);
  const keys = throttleKeys(user.email, ctx.remoteIp ?? null);
  const fail = (reason: string, extra: Record<string, unknown> = {}) =>
    withTransaction(ctx, (tx) =>
      appendAudit(tx, ctx, {
        action: "user.reauth_fail",
        target: { type: "user", id: user.id },
        reason,
        extra: { sessionId, ...extra },
      }),
    );

  const blocked = withTransaction(ctx, (tx) => admitAttempt(tx, keys, ctx.now()));
  if (blocked) {
    fail("throttled", { ...blocked });
    throw throttledError(blocked);
  }
  if (!(await verifyPassword(user.passwordHash, input.password))) {
    fail("wrong password");
    throw invalid("Password is incorrect", { fields: { password: "Password is incorrect" } });
  }
  if (user.totpEnabledAt) {
    if (!input.code) {
      withTransaction(ctx, (tx) => refund(tx, keys));
      throw invalid("Enter the code from your authenticator app", {
        fields: { code: "Enter the code from your authenticator app" },
      });
    }
    const factor = await checkSecondFactor(ctx, user, input.code);
    if (!factor) {
      fail("wrong code");
      throw invalid("That code does not match", { fields: { code: "That code does not match" } });
    }
  }
  return withTransaction(ctx, (tx) => {
    const now = ctx.now();
    const row = tx
      .update(sessions)
      .set({ reauthAt: now })
      .where(and(eq(sessions.id, sessionId), eq(sessions.userId, user.id)))
      .returning({ id: sessions.id })
      .get();
    if (!row) throw new AppError("UNAUTHENTICATED", "Sign in first");
    settleSuccess(tx, user.email, keys);
    appendAudit(tx, ctx, {
      action: "user.reauth",
      target: { type: "user", id: user.id },
      extra: { sessionId },
    });
    return { until: new Date(now.getTime() + REAUTH_FRESH_MS) };
  });
}

/**
 * Throws FORBIDDEN with `details.reauth = "required"` unless the session confirmed the password
 * within REAUTH_FRESH_MS. The console answers it by asking for the password and retrying.
 */
export function requireFreshReauth(
  db: Db | Tx,
  sessionId: string | undefined,
  now: Date,
  action = "change what this server runs or where it connects",
): void {
  const row = sessionId
    ? db.select({ at: sessions.reauthAt }).from(sessions).where(eq(sessions.id, sessionId)).get()
    : undefined;
  const at = row?.at?.getTime();
  if (at !== undefined && now.getTime() - at <= REAUTH_FRESH_MS) return;
  throw new AppError("FORBIDDEN", `Confirm your password to ${action}`, { reauth: "required" });
}

/**
 * requireFreshReauth inside a verb the seed and the operator's CLI also call: the system actor
 * runs on the host, has no session, and needs no confirmation.
 */
export function requireFreshReauthUnlessSystem(
  ctx: ServiceContext,
  db: Db | Tx,
  sessionId: string | undefined,
  action: string,
): void {
  if (ctx.actor.type === "system") return;
  requireFreshReauth(db, sessionId, ctx.now(), action);
}
