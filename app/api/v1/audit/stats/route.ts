import { filtersFromSearch } from "@/lib/core/audit/inputs";
import { auditStats } from "@/lib/services/audit/queries";
import { route } from "@/lib/server/route";

export const GET = route({ auth: "viewer" }, (ctx, req) =>
  auditStats(ctx, filtersFromSearch(req.nextUrl.searchParams)),
);
