import { validatePolicy } from "@/lib/services/policies";
import { objectBody, readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

/** Checks a draft without saving it: `{ok, errors, warnings}`, each issue with line:column. */
export const POST = route({ auth: "viewer" }, async (ctx, req) =>
  validatePolicy(ctx, objectBody(await readJson(req)) as never),
);
