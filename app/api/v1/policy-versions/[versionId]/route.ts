import { getPolicyVersion } from "@/lib/services/policies";
import { route } from "@/lib/server/route";

export const GET = route<{ versionId: string }>({ auth: "viewer" }, (ctx, _req, { params }) =>
  getPolicyVersion(ctx, params.versionId),
);
