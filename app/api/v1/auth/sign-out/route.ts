import { NextResponse } from "next/server";

import { signOut } from "@/lib/services/sessions";
import { clearedSessionCookie } from "@/lib/server/auth";
import { isHttps } from "@/lib/server/request-meta";
import { route } from "@/lib/server/route";

export const POST = route({ auth: "viewer", beforeMfa: true }, (ctx, req, { session }) => {
  if (session) signOut(ctx, session.session.id);
  const res = NextResponse.json(
    { data: { signedOut: true } },
    { headers: { "cache-control": "no-store" } },
  );
  res.cookies.set(clearedSessionCookie(isHttps(req.headers)));
  return res;
});
