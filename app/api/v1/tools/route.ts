import { listTools } from "@/lib/services/inventory";
import { route } from "@/lib/server/route";

export const GET = route({ auth: "viewer" }, (ctx, req) => {
  const p = req.nextUrl.searchParams;
  return listTools(ctx, {
    server: p.get("server") ?? undefined,
    status: (p.get("status") ?? undefined) as never,
  });
});
