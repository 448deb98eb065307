import { NextResponse } from "next/server";

import { signIn } from "@/lib/services/sessions";
import { toUserView } from "@/lib/services/users";
import { challengeCookie, sessionCookie } from "@/lib/server/auth";
import { readJson } from "@/lib/server/body";
import { isHttps } from "@/lib/server/request-meta";
import { route } from "@/lib/server/route";

/**
 * Step one: email and password. Without two-factor the answer carries the session cookie;
 * with it, a short-lived challenge cookie and `secondFactor: true` (step two is /sign-in/code).
 */
export const POST = route({ auth: "public" }, async (ctx, req) => {
  const result = await signIn(ctx, (await readJson(req)) as never);
  const secure = isHttps(req.headers);
  const headers = { "cache-control": "no-store" };
  if (result.status === "second_factor") {
    const res = NextResponse.json({ data: { secondFactor: true } }, { headers });
    res.cookies.set(challengeCookie(result.challengeToken, secure));
    return res;
  }
  const res = NextResponse.json(
    { data: { user: toUserView(result.user), csrfToken: result.session.csrfToken } },
    { headers },
  );
  res.cookies.set(sessionCookie(result.token, secure));
  return res;
});
