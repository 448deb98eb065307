import { NextResponse } from "next/server";

import { AppError } from "@/lib/core/errors";
import { completeSecondFactor } from "@/lib/services/sessions";
import { toUserView } from "@/lib/services/users";
import { clearedChallengeCookie, readChallengeToken, sessionCookie } from "@/lib/server/auth";
import { objectBody, readJson } from "@/lib/server/body";
import { isHttps } from "@/lib/server/request-meta";
import { errorResponse, route } from "@/lib/server/route";

/** Step two: the challenge cookie from step one and an authenticator or recovery code. */
export const POST = route({ auth: "public" }, async (ctx, req) => {
  const secure = isHttps(req.headers);
  const body = objectBody(await readJson(req));
  try {
    const result = await completeSecondFactor(ctx, {
      challengeToken: readChallengeToken(req.cookies, req.headers),
      code: body.code,
    });
    const res = NextResponse.json(
      { data: { user: toUserView(result.user), csrfToken: result.session.csrfToken } },
      { headers: { "cache-control": "no-store" } },
    );
    res.cookies.set(sessionCookie(result.token, secure));
    res.cookies.set(clearedChallengeCookie(secure));
    return res;
  } catch (err) {
    const res = errorResponse(err, ctx.requestId, req);
    if (err instanceof AppError && err.details?.restart === true)
      res.cookies.set(clearedChallengeCookie(secure));
    return res;
  }
});
