import { getAuditEvent } from "@/lib/services/audit/queries";
import { route } from "@/lib/server/route";

export const GET = route<{ eventId: string }>({ auth: "viewer" }, (ctx, _req, { params }) =>
  getAuditEvent(ctx, params.eventId),
);
