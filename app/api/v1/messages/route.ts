import type { MessagePage } from "@/lib/core/contact/views";
import { listContactMessages, toContactMessageView } from "@/lib/services/contact";
import { route } from "@/lib/server/route";

export const dynamic = "force-dynamic";

export const GET = route({ auth: "viewer" }, (ctx, req): MessagePage => {
  const q = req.nextUrl.searchParams;
  const page = listContactMessages(ctx, {
    filter: q.get("filter") ?? undefined,
    q: q.get("q") ?? undefined,
    limit: q.get("limit") ?? undefined,
    before: q.get("before") ?? undefined,
  });
  return {
    items: page.items.map(toContactMessageView),
    counts: page.counts,
    nextCursor: page.nextCursor,
  };
});
