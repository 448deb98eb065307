import { checkpointPublicKeys } from "@/lib/services/audit/integrity-status";
import { auditIntegrity } from "@/lib/server/audit-integrity";
import { route } from "@/lib/server/route";

export const dynamic = "force-dynamic";

/** The PEM public keys that verify checkpoints (current, then retired). */
export const GET = route(
  { auth: "viewer" },
  (ctx) =>
    new Response(checkpointPublicKeys(ctx, auditIntegrity()), {
      headers: {
        "content-type": "application/x-pem-file",
        "content-disposition": 'attachment; filename="audit-signing.pub"',
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    }),
);
