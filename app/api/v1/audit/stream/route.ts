import { headSeq, tailAuditEvents, toAuditEventView } from "@/lib/services/audit/queries";
import { liveSessionRole } from "@/lib/services/sessions";
import { StreamSlots } from "@/lib/services/streams";
import { getDb } from "@/lib/server/db";
import { log } from "@/lib/server/log";
import { route } from "@/lib/server/route";

export const dynamic = "force-dynamic";

const POLL_MS = 100;
const HEARTBEAT_MS = 15_000;
const SESSION_CHECK_MS = 5_000;
const BATCH = 200;

// One per console process, surviving dev hot reloads like the database handle.
const g = globalThis as typeof globalThis & { __portcullisStreamSlots?: StreamSlots };
const slots = (g.__portcullisStreamSlots ??= new StreamSlots());

/**
 * Server-sent events: every audit row after the client's position, as `event: audit` with
 * `id: <seq>`. Resumes from Last-Event-ID (browser reconnects) or `?after=<seq>`, otherwise
 * from the current head. Polls the table every 100 ms; ends when the client goes away, the
 * session ends, or the user's role changes (the browser reconnects under the new role).
 * A user holds at most MAX_STREAMS_PER_USER streams at once; one more is refused (429, audited).
 */
export const GET = route({ auth: "viewer" }, (ctx, req, { session }) => {
  if (!session) throw new Error("route() guarantees a session here");
  const sessionId = session.session.id;
  const role = session.user.role;
  const db = getDb();
  const resumeFrom = req.headers.get("last-event-id") ?? req.nextUrl.searchParams.get("after");
  const head = headSeq(ctx);
  let cursor =
    resumeFrom && /^\d{1,15}$/.test(resumeFrom) ? Math.min(Number(resumeFrom), head) : head;

  const release = slots.acquire(ctx);
  const encoder = new TextEncoder();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const close = () => {
        if (closed) return;
        closed = true;
        release();
        clearTimeout(timer);
        try {
          controller.close();
        } catch {
          // already closed by the client
        }
      };
      req.signal.addEventListener("abort", close);
      controller.enqueue(
        encoder.encode(`retry: 2000\nevent: ready\ndata: {"headSeq":${cursor}}\n\n`),
      );
      let lastSent = Date.now();
      let lastCheck = Date.now();
      const tick = () => {
        if (closed) return;
        let full = false;
        try {
          const now = Date.now();
          if (now - lastCheck >= SESSION_CHECK_MS) {
            lastCheck = now;
            if (liveSessionRole(db, sessionId, new Date(now)) !== role) return close();
          }
          if ((controller.desiredSize ?? 1) > 0) {
            const rows = tailAuditEvents(ctx, cursor, BATCH);
            for (const row of rows) {
              const data = JSON.stringify(toAuditEventView(row, role));
              controller.enqueue(encoder.encode(`id: ${row.seq}\nevent: audit\ndata: ${data}\n\n`));
              cursor = row.seq;
            }
            if (rows.length > 0) lastSent = now;
            full = rows.length === BATCH;
          }
          if (now - lastSent >= HEARTBEAT_MS) {
            controller.enqueue(encoder.encode(": heartbeat\n\n"));
            lastSent = now;
          }
        } catch (err) {
          log.error({ err, requestId: ctx.requestId }, "audit stream failed");
          return close();
        }
        timer = setTimeout(tick, full ? 0 : POLL_MS);
      };
      timer = setTimeout(tick, 0);
    },
    cancel() {
      closed = true;
      release();
      clearTimeout(timer);
    },
  });

  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
});
