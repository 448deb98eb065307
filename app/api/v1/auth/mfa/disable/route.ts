import { disableOwnTotp } from "@/lib/services/mfa";
import { route } from "@/lib/server/route";

/** Needs a fresh password and code confirmation (POST /auth/reauth) from this session. */
export const POST = route({ auth: "viewer" }, (ctx, _req, { session }) => {
  disableOwnTotp(ctx, session?.session.id);
  return { mfaEnabled: false };
});
