import { beginTotpEnrolment } from "@/lib/services/mfa";
import { route } from "@/lib/server/route";

/** A new pending authenticator secret for the signed-in user, with its QR code. */
export const POST = route({ auth: "viewer", beforeMfa: true }, (ctx) => beginTotpEnrolment(ctx));
