import { eq } from "drizzle-orm";

import type { Db, Tx } from "@/db/client";
import { authSettings, type User } from "@/db/schema";
import { conflict } from "@/lib/core/errors";
import { appendAudit } from "../audit/append";
import { requireAdmin, type ServiceContext, withTransaction } from "../context";
import { getUserOrThrow } from "../users/internal";

export type AuthSettings = { mfaRequired: boolean };

export function getAuthSettings(db: Db | Tx): AuthSettings {
  const row = db.select().from(authSettings).where(eq(authSettings.id, 1)).get();
  return { mfaRequired: row?.mfaRequired ?? false };
}

/** True when this user must set up two-factor before using the console. */
export function mfaEnrolmentDue(db: Db | Tx, user: Pick<User, "totpEnabledAt">): boolean {
  return user.totpEnabledAt === null && getAuthSettings(db).mfaRequired;
}

/**
 * Requires (or stops requiring) two-factor for every console user. Admins only, and only an
 * admin who has it set up can require it, so the setting never starts with its author locked
 * into enrolment. Users without it are sent to set it up after their next password sign-in
 * (and on their next page). Audits settings.mfa_required.
 */
export function setMfaRequired(ctx: ServiceContext, required: boolean): AuthSettings {
  requireAdmin(ctx);
  return withTransaction(ctx, (tx) => {
    if (required && ctx.actor.type === "user") {
      const me = getUserOrThrow(tx, ctx.actor.userId);
      if (!me.totpEnabledAt)
        throw conflict("Set up two-factor authentication for your own account first");
    }
    const before = getAuthSettings(tx);
    tx.update(authSettings)
      .set({ mfaRequired: required, updatedAt: ctx.now() })
      .where(eq(authSettings.id, 1))
      .run();
    appendAudit(tx, ctx, {
      action: "settings.mfa_required",
      target: { type: "settings", id: "auth" },
      before: { ...before },
      after: { mfaRequired: required },
    });
    return { mfaRequired: required };
  });
}
