import { mySecurity } from "@/lib/services/mfa";
import { route } from "@/lib/server/route";

/** The signed-in user's two-factor state. */
export const GET = route({ auth: "viewer", beforeMfa: true }, (ctx) => mySecurity(ctx));
