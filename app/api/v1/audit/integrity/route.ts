import { auditIntegrityStatus } from "@/lib/services/audit/integrity-status";
import { auditIntegrity } from "@/lib/server/audit-integrity";
import { route } from "@/lib/server/route";

export const dynamic = "force-dynamic";

export const GET = route({ auth: "viewer" }, (ctx) => auditIntegrityStatus(ctx, auditIntegrity()));
