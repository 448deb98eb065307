import { resetUserMfa } from "@/lib/services/mfa";
import { requireFreshReauth } from "@/lib/services/sessions";
import { route } from "@/lib/server/route";

/**
 * Turns off another user's two-factor (lost phone) and signs them out. It weakens that account,
 * so it needs a fresh password confirmation, like a new server command.
 */
export const DELETE = route<{ userId: string }>(
  { auth: "admin" },
  (ctx, _req, { params, session }) => {
    requireFreshReauth(ctx.db, session?.session.id, ctx.now(), "remove someone's two-factor");
    resetUserMfa(ctx, params.userId);
    return { mfaEnabled: false };
  },
);
