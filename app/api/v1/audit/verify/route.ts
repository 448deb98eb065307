import { verifyAuditChain } from "@/lib/services/audit/queries";
import { route } from "@/lib/server/route";

export const POST = route({ auth: "viewer" }, (ctx) => verifyAuditChain(ctx));
