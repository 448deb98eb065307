import { auditHub } from "@/lib/services/audit/live-hub";
import { liveSessionRole } from "@/lib/services/sessions";
import { admitStream } from "@/lib/services/streams";
import { getDb } from "@/lib/server/db";
import { log } from "@/lib/server/log";
import { route } from "@/lib/server/route";

export const dynamic = "force-dynamic";

const HEARTBEAT_MS = 15_000;
const SESSION_CHECK_MS = 5_000;

/**
 * Server-sent events: every audit row after the client's position, as `event: audit` with
 * `id: <seq>`. Resumes from Last-Event-ID (browser reconnects) or `?after=<seq>`, otherwise
 * from the current head. Rows come from the process's one poller (AuditHub), which reads the
 * table once per tick for every connection. Ends when the client goes away, the session ends,
 * or the user's role changes (the browser reconnects under the new role). A user holds at most
 * MAX_STREAMS_PER_USER streams at once; one more is refused (429, audited).
 */
export const GET = route({ auth: "viewer" }, (ctx, req, { session }) => {
  if (!session) throw new Error("route() guarantees a session here");
  const sessionId = session.session.id;
  const role = session.user.role;
  const db = getDb();
  const hub = auditHub(db);
  hub.onError ??= (err) => log.error({ err }, "audit stream poll failed");
  const resumeFrom = req.headers.get("last-event-id") ?? req.nextUrl.searchParams.get("after");
  const head = hub.head;
  const start =
    resumeFrom && /^\d{1,15}$/.test(resumeFrom) ? Math.min(Number(resumeFrom), head) : head;

  // Checked and subscribed in one synchronous run (start() runs in the constructor), so two
  // requests cannot both take the last slot.
  admitStream(ctx, hub.countFor(session.user.id));
  const encoder = new TextEncoder();
  let leave: (() => void) | null = null;
  let closed = false;

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const close = () => {
        if (closed) return;
        closed = true;
        leave?.();
        try {
          controller.close();
        } catch {
          // already closed by the client
        }
      };
      req.signal.addEventListener("abort", close);
      controller.enqueue(
        encoder.encode(`retry: 2000\nevent: ready\ndata: {"headSeq":${start}}\n\n`),
      );
      let lastSent = Date.now();
      let lastCheck = Date.now();
      leave = hub.subscribe({
        userId: session.user.id,
        role,
        cursor: start,
        ready: () => !closed && (controller.desiredSize ?? 1) > 0,
        send: (text) => {
          if (closed) return false;
          controller.enqueue(encoder.encode(text));
          lastSent = Date.now();
          return true;
        },
        onPoll: (now) => {
          if (closed) return;
          if (now - lastCheck >= SESSION_CHECK_MS) {
            lastCheck = now;
            if (liveSessionRole(db, sessionId, new Date(now)) !== role) return close();
          }
          if (now - lastSent >= HEARTBEAT_MS) {
            controller.enqueue(encoder.encode(": heartbeat\n\n"));
            lastSent = now;
          }
        },
      });
    },
    cancel() {
      closed = true;
      leave?.();
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
