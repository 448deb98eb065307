import type { SecurityView } from "@/lib/core/users/views";
import { AppError } from "@/lib/core/errors";
import type { ServiceContext } from "../context";
import { getUserOrThrow } from "../users/internal";
import { unusedRecoveryCodes } from "./recovery";
import { getAuthSettings } from "./settings";

/** The signed-in user's two-factor state: on or off, required or not, recovery codes left. */
export function mySecurity(ctx: ServiceContext): SecurityView {
  if (ctx.actor.type !== "user") throw new AppError("UNAUTHENTICATED", "Sign in first");
  const user = getUserOrThrow(ctx.db, ctx.actor.userId);
  return {
    mfaEnabled: user.totpEnabledAt !== null,
    mfaRequired: getAuthSettings(ctx.db).mfaRequired,
    recoveryCodesLeft: user.totpEnabledAt ? unusedRecoveryCodes(ctx.db, user.id).length : 0,
  };
}
