import { and, eq, isNull, lt, or } from "drizzle-orm";

import { type User, users } from "@/db/schema";
import { type ServiceContext, withTransaction } from "../context";
import { matchRecoveryCode, spendRecoveryCode, unusedRecoveryCodes } from "./recovery";
import { openTotpSecret } from "./secret";
import { totpStep } from "./totp";

export type Factor = "totp" | "recovery";

/**
 * Checks an authenticator code, or else a recovery code, for a user with two-factor enabled.
 * An accepted code is spent in the same step: a TOTP time step is never accepted twice, and a
 * recovery code only once. Returns which factor matched, or null.
 */
export async function checkSecondFactor(
  ctx: ServiceContext,
  user: User,
  code: string,
): Promise<Factor | null> {
  if (!user.totpEnabledAt || !user.totpSecret) return null;
  const now = ctx.now();
  const step = totpStep(openTotpSecret(ctx.db, user.id, user.totpSecret), code, now);
  if (step !== null) {
    return withTransaction(ctx, (tx) => {
      const spent = tx
        .update(users)
        .set({ totpLastStep: step })
        .where(
          and(eq(users.id, user.id), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))),
        )
        .returning({ id: users.id })
        .get();
      return spent ? "totp" : null;
    });
  }
  const id = await matchRecoveryCode(unusedRecoveryCodes(ctx.db, user.id), code);
  if (!id) return null;
  return withTransaction(ctx, (tx) => (spendRecoveryCode(tx, id, now) ? "recovery" : null));
}
