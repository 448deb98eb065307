import { NextResponse } from "next/server";

import { toUserView } from "@/lib/services/users";
import { signIn } from "@/lib/services/sessions";
import { sessionCookie } from "@/lib/server/auth";
import { readJson } from "@/lib/server/body";
import { isHttps } from "@/lib/server/request-meta";
import { route } from "@/lib/server/route";

export const POST = route({ auth: "public" }, async (ctx, req) => {
  const result = await signIn(ctx, (await readJson(req)) as never);
  const res = NextResponse.json(
    { data: { user: toUserView(result.user), csrfToken: result.session.csrfToken } },
    { headers: { "cache-control": "no-store" } },
  );
  res.cookies.set(sessionCookie(result.token, isHttps(req.headers)));
  return res;
});
