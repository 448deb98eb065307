import { invalid } from "@/lib/core/errors";
import { getAuthSettings, setMfaRequired } from "@/lib/services/mfa";
import { objectBody, readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

export const GET = route({ auth: "admin" }, (ctx) => getAuthSettings(ctx.db));

export const PATCH = route({ auth: "admin" }, async (ctx, req) => {
  const { mfaRequired } = objectBody(await readJson(req));
  if (typeof mfaRequired !== "boolean") throw invalid("mfaRequired must be true or false");
  return setMfaRequired(ctx, mfaRequired);
});
