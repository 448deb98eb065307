import { verifyAuditChain } from "@/lib/services/audit/queries";
import { verifyAuditChainWithProgress } from "@/lib/services/audit/verify-progress";
import { auditIntegrity } from "@/lib/server/audit-integrity";
import { errorResponse, route } from "@/lib/server/route";

export const dynamic = "force-dynamic";

/**
 * Verifies the audit chain. With `?progress=1` the answer is NDJSON: `{"progress":{"done","total"}}`
 * lines while the chain is walked, then `{"data": …}` (or `{"error": …}`) as the last line.
 */
export const POST = route({ auth: "viewer" }, (ctx, req) => {
  const { keySource, archiveDir } = auditIntegrity();
  const sources = { keySource, archiveDir };
  if (req.nextUrl.searchParams.get("progress") !== "1") return verifyAuditChain(ctx, sources);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (value: unknown) =>
        controller.enqueue(encoder.encode(`${JSON.stringify(value)}\n`));
      let last = 0;
      try {
        const data = await verifyAuditChainWithProgress(ctx, sources, (done, total) => {
          const now = Date.now();
          if (now - last < 100 && done < total) return;
          last = now;
          send({ progress: { done, total } });
        });
        send({ data });
      } catch (err) {
        send(await errorResponse(err, ctx.requestId).json());
      }
      controller.close();
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "application/x-ndjson; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
});
