import { invalid } from "@/lib/core/errors";
import { getAuthSettings, setMfaRequired } from "@/lib/services/mfa";
import { requireFreshReauth } from "@/lib/services/sessions";
import { objectBody, readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

export const GET = route({ auth: "admin" }, (ctx) => getAuthSettings(ctx.db));

export const PATCH = route({ auth: "admin" }, async (ctx, req, { session }) => {
  const { mfaRequired } = objectBody(await readJson(req));
  if (typeof mfaRequired !== "boolean") throw invalid("mfaRequired must be true or false");
  // Requiring two-factor only adds a check; making it optional again needs a fresh password.
  if (!mfaRequired)
    requireFreshReauth(ctx.db, session?.session.id, ctx.now(), "make two-factor optional");
  return setMfaRequired(ctx, mfaRequired);
});
