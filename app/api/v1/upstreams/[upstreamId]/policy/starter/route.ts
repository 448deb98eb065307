import { renderStarterPolicyForUpstream } from "@/lib/services/policies";
import { route } from "@/lib/server/route";

/** A starter policy from the server's recorded inventory; nothing is saved. */
export const GET = route<{ upstreamId: string }>({ auth: "viewer" }, (ctx, _req, { params }) =>
  renderStarterPolicyForUpstream(ctx, params.upstreamId),
);
