import { UpdateUpstreamInput } from "@/lib/core/upstreams/inputs";
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
    const input = UpdateUpstreamInput.parse({
      ...objectBody(await readJson(req)),
      upstreamId: params.upstreamId,
    });
    return toUpstreamView(updateUpstream(ctx, input, session?.session.id));
  },
);
