import { resetUserMfa } from "@/lib/services/mfa";
import { route } from "@/lib/server/route";

/** Turns off another user's two-factor (lost phone) and signs them out. */
export const DELETE = route<{ userId: string }>({ auth: "admin" }, (ctx, _req, { params }) => {
  resetUserMfa(ctx, params.userId);
  return { mfaEnabled: false };
});
