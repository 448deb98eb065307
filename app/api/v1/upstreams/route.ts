import { CreateUpstreamInput } from "@/lib/core/upstreams/inputs";
import { requireFreshReauth } from "@/lib/services/sessions";
import { createUpstream, listUpstreams, toUpstreamView } from "@/lib/services/upstreams";
import { readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

export const GET = route({ auth: "viewer" }, (ctx) =>
  listUpstreams(ctx).map((u) => toUpstreamView(u.upstream, u.activePolicyVersion)),
);

/** A new server is a new command or URL for the gateway: it needs a fresh password confirmation. */
export const POST = route({ auth: "admin" }, async (ctx, req, { session }) => {
  // Bad input is reported before the password is asked for.
  const input = CreateUpstreamInput.parse(await readJson(req));
  requireFreshReauth(ctx.db, session?.session.id, ctx.now());
  return toUpstreamView(createUpstream(ctx, input));
});
