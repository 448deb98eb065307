import { verifyAuditChain } from "@/lib/services/audit/queries";
import { auditIntegrity } from "@/lib/server/audit-integrity";
import { route } from "@/lib/server/route";

export const POST = route({ auth: "viewer" }, (ctx) =>
  verifyAuditChain(ctx, auditIntegrity().keySource),
);
