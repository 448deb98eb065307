import { disableOwnTotp } from "@/lib/services/mfa";
import { objectBody, readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

export const POST = route({ auth: "viewer" }, async (ctx, req) => {
  const body = objectBody(await readJson(req));
  await disableOwnTotp(ctx, {
    password: String(body.password ?? ""),
    code: String(body.code ?? ""),
  });
  return { mfaEnabled: false };
});
