import { eq } from "drizzle-orm";

import { sessions, type User, users } from "@/db/schema";
import { notFound } from "@/lib/core/errors";
import { EmailInput, PasswordInput } from "@/lib/core/users/inputs";
import { appendAudit } from "../audit/append";
import { requireAdmin, type ServiceContext, withTransaction } from "../context";
import { clearTotp } from "../mfa/clear";
import { clearAccount } from "../sessions/throttle";
import { hashPassword } from "./password";

export type ResetPasswordInput = { email: string; password: string; resetMfa?: boolean };

/**
 * Sets a new password for the user with this email (the operator's way back in when nobody can
 * sign in). Ends every session of theirs, clears their sign-in backoff and, with `resetMfa`,
 * their two-factor and recovery codes. Admins and the system (the CLI on the host) only.
 * Audits user.password_reset without the password.
 */
export async function resetPassword(ctx: ServiceContext, raw: ResetPasswordInput): Promise<User> {
  requireAdmin(ctx);
  const email = EmailInput.parse(raw.email);
  const passwordHash = await hashPassword(PasswordInput.parse(raw.password));
  return withTransaction(ctx, (tx) => {
    const user = tx.select().from(users).where(eq(users.email, email)).get();
    if (!user) throw notFound("user", email);
    const now = ctx.now();
    tx.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, user.id)).run();
    const ended = tx
      .delete(sessions)
      .where(eq(sessions.userId, user.id))
      .returning({ id: sessions.id })
      .all().length;
    const unlocked = clearAccount(tx, email);
    const mfaReset = raw.resetMfa === true && user.totpEnabledAt !== null;
    if (raw.resetMfa) clearTotp(tx, user.id, now);
    appendAudit(tx, ctx, {
      action: "user.password_reset",
      target: { type: "user", id: user.id },
      extra: { email, sessionsEnded: ended, unlocked, mfaReset },
    });
    return tx.select().from(users).where(eq(users.id, user.id)).get() ?? user;
  });
}
