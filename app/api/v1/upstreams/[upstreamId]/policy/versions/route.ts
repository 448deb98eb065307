import { listPolicyVersions } from "@/lib/services/policies";
import { route } from "@/lib/server/route";

export const GET = route<{ upstreamId: string }>({ auth: "viewer" }, (ctx, _req, { params }) =>
  listPolicyVersions(ctx, params.upstreamId),
);
