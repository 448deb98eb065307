import { redactForViewer } from "@/lib/core/audit/redact";
import { listApprovals } from "@/lib/services/approvals";
import { route } from "@/lib/server/route";

export const GET = route({ auth: "viewer" }, (ctx, req) => {
  const p = req.nextUrl.searchParams;
  const rows = listApprovals(ctx, {
    status: (p.get("status") || undefined) as never,
    server: p.get("server") || undefined,
    limit: p.get("limit") ? Number(p.get("limit")) : undefined,
  });
  const viewer = ctx.actor.type === "user" && ctx.actor.role === "viewer";
  return viewer
    ? rows.map((a) => ({ ...a, arguments: redactForViewer(a.arguments), argumentsMasked: true }))
    : rows;
});
