import { createGrant, listGrants, toGrantView } from "@/lib/services/grants";
import { readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

export const GET = route({ auth: "viewer" }, (ctx, req) => {
  const p = req.nextUrl.searchParams;
  return listGrants(ctx, {
    agentId: p.get("agentId") ?? undefined,
    upstreamId: p.get("upstreamId") ?? undefined,
    includeRevoked: p.get("includeRevoked") === "1",
  }).map((g) => toGrantView(g.grant, g));
});

export const POST = route({ auth: "editor" }, async (ctx, req) =>
  toGrantView(createGrant(ctx, (await readJson(req)) as never)),
);
