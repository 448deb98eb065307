import { confirmTotpEnrolment } from "@/lib/services/mfa";
import { objectBody, readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

/** Turns two-factor on with a code from the pending secret; answers the recovery codes once. */
export const POST = route({ auth: "viewer", beforeMfa: true }, async (ctx, req) =>
  confirmTotpEnrolment(ctx, objectBody(await readJson(req)).code),
);
