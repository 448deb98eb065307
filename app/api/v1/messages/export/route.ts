import { exportContactMessagesCsv } from "@/lib/services/contact";
import { route } from "@/lib/server/route";

export const dynamic = "force-dynamic";

export const GET = route({ auth: "viewer" }, (ctx, req) => {
  const q = req.nextUrl.searchParams;
  const { csv } = exportContactMessagesCsv(ctx, {
    filter: q.get("filter") ?? undefined,
    q: q.get("q") ?? undefined,
  });
  const stamp = ctx.now().toISOString().slice(0, 10);
  return new Response(`\uFEFF${csv}`, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="portcullis-messages-${stamp}.csv"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
});
