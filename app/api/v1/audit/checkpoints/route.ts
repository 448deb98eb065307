import { checkpointsJsonl } from "@/lib/services/audit/integrity-status";
import { route } from "@/lib/server/route";

export const dynamic = "force-dynamic";

/** Every signed checkpoint as JSON Lines: what an outside witness keeps. */
export const GET = route(
  { auth: "viewer" },
  (ctx) =>
    new Response(checkpointsJsonl(ctx), {
      headers: {
        "content-type": "application/x-ndjson; charset=utf-8",
        "content-disposition": 'attachment; filename="audit-checkpoints.jsonl"',
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    }),
);
