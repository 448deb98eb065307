import { getEffectivePermissions } from "@/lib/services/permissions";
import { route } from "@/lib/server/route";

export const dynamic = "force-dynamic";

/** `?server=NAME`: every tool of that server with what this agent would get. Viewer role. */
export const GET = route<{ agentId: string }>({ auth: "viewer" }, (ctx, req, { params }) =>
  getEffectivePermissions(ctx, {
    agentId: params.agentId,
    server: req.nextUrl.searchParams.get("server") ?? "",
  }),
);
