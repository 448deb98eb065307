import { getActivePolicy, savePolicy } from "@/lib/services/policies";
import { toPolicyVersionView } from "@/lib/services/policies/internal";
import { objectBody, readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

export const GET = route<{ upstreamId: string }>({ auth: "viewer" }, (ctx, _req, { params }) =>
  getActivePolicy(ctx, { upstreamId: params.upstreamId }),
);

export const POST = route<{ upstreamId: string }>(
  { auth: "editor" },
  async (ctx, req, { params }) => {
    const saved = savePolicy(ctx, {
      ...objectBody(await readJson(req)),
      upstreamId: params.upstreamId,
    } as never);
    return {
      version: toPolicyVersionView(saved.version, saved.policy.activeVersionId),
      activated: saved.activated,
      warnings: saved.warnings,
    };
  },
);
