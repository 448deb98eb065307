import { UpdateUpstreamInput } from "@/lib/core/upstreams/inputs";
import { launchChanges } from "@/lib/core/upstreams/launch";
import { requireFreshReauth } from "@/lib/services/sessions";
import {
  getUpstreamOrThrow,
  listUpstreams,
  toUpstreamView,
  updateUpstream,
} from "@/lib/services/upstreams";
import { objectBody, readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

export const GET = route<{ upstreamId: string }>({ auth: "viewer" }, (ctx, _req, { params }) => {
  const found = listUpstreams(ctx).find((u) => u.upstream.id === params.upstreamId);
  return found
    ? toUpstreamView(found.upstream, found.activePolicyVersion)
    : toUpstreamView(getUpstreamOrThrow(ctx.db, params.upstreamId));
});

/** Changing the command, arguments, environment or URL needs a fresh password confirmation. */
export const PATCH = route<{ upstreamId: string }>(
  { auth: "admin" },
  async (ctx, req, { params, session }) => {
    // Bad input is reported before the password is asked for.
    const input = UpdateUpstreamInput.parse({
      ...objectBody(await readJson(req)),
      upstreamId: params.upstreamId,
    });
    const before = getUpstreamOrThrow(ctx.db, params.upstreamId);
    if (launchChanges(before, input).length > 0)
      requireFreshReauth(ctx.db, session?.session.id, ctx.now());
    return toUpstreamView(updateUpstream(ctx, input));
  },
);
