import { AppError } from "@/lib/core/errors";
import type { ReplayLine } from "@/lib/core/simulation/views";
import { startReplay } from "@/lib/services/simulation";
import { objectBody, readJson } from "@/lib/server/body";
import { log } from "@/lib/server/log";
import { route } from "@/lib/server/route";

export const dynamic = "force-dynamic";

/**
 * Replays the server's last N audited calls against a draft. Answers NDJSON: progress lines
 * (`{"type":"progress","done","total"}`) while it runs, then one `result` (or `error`) line.
 * Input problems are refused before the stream starts, as ordinary JSON errors.
 */
export const POST = route<{ upstreamId: string }>(
  { auth: "viewer" },
  async (ctx, req, { params }) => {
    const replay = startReplay(ctx, {
      ...objectBody(await readJson(req)),
      upstreamId: params.upstreamId,
    } as never);
    const encoder = new TextEncoder();
    const line = (l: ReplayLine) => encoder.encode(`${JSON.stringify(l)}\n`);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        try {
          const step = replay.next();
          controller.enqueue(line(step.done ? { type: "result", report: step.value } : step.value));
          if (step.done) controller.close();
        } catch (err) {
          const message =
            err instanceof AppError ? err.message : `Replay failed (request ${ctx.requestId})`;
          if (!(err instanceof AppError))
            log.error({ err, requestId: ctx.requestId }, "replay failed");
          controller.enqueue(line({ type: "error", message }));
          controller.close();
        }
      },
      cancel() {
        replay.return(undefined as never);
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "application/x-ndjson; charset=utf-8",
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  },
);
