import { filtersFromSearch } from "@/lib/core/audit/inputs";
import { exportAuditEvents } from "@/lib/services/audit/queries";
import { route } from "@/lib/server/route";

const CHUNK_BYTES = 64 * 1024;

export const dynamic = "force-dynamic";

export const GET = route({ auth: "viewer" }, (ctx, req) => {
  const out = exportAuditEvents(ctx, filtersFromSearch(req.nextUrl.searchParams));
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      let chunk = "";
      while (chunk.length < CHUNK_BYTES) {
        const next = out.lines.next();
        if (next.done) {
          if (chunk) controller.enqueue(encoder.encode(chunk));
          controller.close();
          return;
        }
        chunk += next.value;
      }
      controller.enqueue(encoder.encode(chunk));
    },
    cancel() {
      out.lines.return(undefined);
    },
  });
  return new Response(body, {
    headers: {
      "content-type": out.contentType,
      "content-disposition": `attachment; filename="${out.filename}"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
});
