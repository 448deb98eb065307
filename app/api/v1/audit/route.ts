import { filtersFromSearch } from "@/lib/core/audit/inputs";
import { listAuditEvents } from "@/lib/services/audit/queries";
import { route } from "@/lib/server/route";

export const GET = route({ auth: "viewer" }, (ctx, req) =>
  listAuditEvents(ctx, filtersFromSearch(req.nextUrl.searchParams)),
);
