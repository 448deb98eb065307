import { createUpstream, listUpstreams, toUpstreamView } from "@/lib/services/upstreams";
import { readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

export const GET = route({ auth: "viewer" }, (ctx) =>
  listUpstreams(ctx).map((u) => toUpstreamView(u.upstream, u.activePolicyVersion)),
);

export const POST = route({ auth: "admin" }, async (ctx, req) =>
  toUpstreamView(createUpstream(ctx, (await readJson(req)) as never)),
);
