import { eq } from "drizzle-orm";
import QRCode from "qrcode";

import type { Db, Tx } from "@/db/client";
import { sessions, users } from "@/db/schema";
import { AppError, conflict, invalid } from "@/lib/core/errors";
import { SecondFactorInput } from "@/lib/core/sessions/inputs";
import { appendAudit } from "../audit/append";
import { requireAdmin, type ServiceContext, withTransaction } from "../context";
import { requireFreshReauth } from "../sessions/reauth";
import { getUserOrThrow } from "../users/internal";
import { clearTotp } from "./clear";
import { prepareRecoveryCodes, storeRecoveryCodes } from "./recovery";
import { getAuthSettings } from "./settings";
import { openTotpSecret, sealTotpSecret } from "./secret";
import { newTotpSecret, totpStep, totpUri } from "./totp";

function selfId(ctx: ServiceContext): string {
  if (ctx.actor.type !== "user") throw new AppError("UNAUTHENTICATED", "Sign in first");
  return ctx.actor.userId;
}

export type TotpSetup = { secret: string; uri: string; qrSvg: string };

/**
 * Starts two-factor enrolment for the signed-in user: a new secret, kept pending until a code
 * from it is confirmed. Returns it as text, as an otpauth:// URI and as a QR code (SVG).
 * Starting again replaces a pending secret; an enabled one must be turned off first. Audits
 * user.mfa_setup (never the secret).
 */
export async function beginTotpEnrolment(ctx: ServiceContext): Promise<TotpSetup> {
  const userId = selfId(ctx);
  const secret = newTotpSecret();
  const email = withTransaction(ctx, (tx) => {
    const user = getUserOrThrow(tx, userId);
    if (user.totpEnabledAt) throw conflict("Two-factor authentication is already on");
    tx.update(users)
      .set({
        totpSecret: sealTotpSecret(tx, userId, secret),
        totpLastStep: null,
        updatedAt: ctx.now(),
      })
      .where(eq(users.id, userId))
      .run();
    appendAudit(tx, ctx, { action: "user.mfa_setup", target: { type: "user", id: userId } });
    return user.email;
  });
  const uri = totpUri(secret, email);
  const qrSvg = await QRCode.toString(uri, { type: "svg", margin: 1, errorCorrectionLevel: "M" });
  return { secret, uri, qrSvg };
}

/**
 * Confirms enrolment with a code from the pending secret: turns two-factor on and returns ten
 * single-use recovery codes, shown once and stored only as argon2id hashes. Audits
 * user.mfa_enable.
 */
export async function confirmTotpEnrolment(
  ctx: ServiceContext,
  rawCode: unknown,
): Promise<{ recoveryCodes: string[] }> {
  const userId = selfId(ctx);
  const code = SecondFactorInput.parse(rawCode);
  const check = (db: Db | Tx) => {
    const user = getUserOrThrow(db, userId);
    if (user.totpEnabledAt) throw conflict("Two-factor authentication is already on");
    if (!user.totpSecret) throw conflict("Start the set-up again: no code is pending");
    const step = totpStep(openTotpSecret(db, userId, user.totpSecret), code, ctx.now());
    if (step === null)
      throw invalid("That code does not match. Check the time on your phone and try again.", {
        fields: { code: "That code does not match" },
      });
    return step;
  };
  // A wrong code is refused before the ten recovery codes are hashed (argon2id, slow on purpose);
  // the transaction checks again, in case the set-up changed meanwhile.
  check(ctx.db);
  const prepared = await prepareRecoveryCodes();
  return withTransaction(ctx, (tx) => {
    const now = ctx.now();
    const step = check(tx);
    tx.update(users)
      .set({ totpEnabledAt: now, totpLastStep: step, updatedAt: now })
      .where(eq(users.id, userId))
      .run();
    storeRecoveryCodes(tx, userId, prepared.hashes, now);
    appendAudit(tx, ctx, {
      action: "user.mfa_enable",
      target: { type: "user", id: userId },
      extra: { recoveryCodes: prepared.codes.length },
    });
    return { recoveryCodes: prepared.codes };
  });
}

/**
 * Turns the signed-in user's two-factor off. It weakens their sign-in, so this session must have
 * confirmed the password and a code (reauthenticate, with its backoff and audit of failures)
 * within REAUTH_FRESH_MS. Refused while an admin requires two-factor. Audits user.mfa_disable.
 */
export function disableOwnTotp(ctx: ServiceContext, sessionId: string | undefined): void {
  const userId = selfId(ctx);
  withTransaction(ctx, (tx) => {
    const user = getUserOrThrow(tx, userId);
    if (!user.totpEnabledAt) throw conflict("Two-factor authentication is not on");
    if (getAuthSettings(tx).mfaRequired)
      throw conflict("An admin requires two-factor authentication for every user");
    requireFreshReauth(tx, sessionId, ctx.now(), "turn off two-factor");
    clearTotp(tx, userId, ctx.now());
    appendAudit(tx, ctx, { action: "user.mfa_disable", target: { type: "user", id: userId } });
  });
}

/**
 * An admin turns off another user's two-factor (a lost phone and no recovery codes left) and
 * signs them out everywhere; they set it up again on their next sign-in if it is required.
 * Audits user.mfa_reset.
 */
export function resetUserMfa(ctx: ServiceContext, userId: string): void {
  requireAdmin(ctx);
  withTransaction(ctx, (tx) => {
    const user = getUserOrThrow(tx, userId);
    if (!user.totpEnabledAt && !user.totpSecret)
      throw conflict(`${user.email} has no two-factor set up`);
    clearTotp(tx, userId, ctx.now());
    tx.delete(sessions).where(eq(sessions.userId, userId)).run();
    appendAudit(tx, ctx, {
      action: "user.mfa_reset",
      target: { type: "user", id: userId },
      extra: { email: user.email },
    });
  });
}
