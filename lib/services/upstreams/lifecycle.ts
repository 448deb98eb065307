import type { Db } from "@/db/client";
import { canonicalJson } from "@/lib/core/canonical-json";
import { appendEvent } from "../audit";

export type UpstreamLifecycle = {
  server: string;
  upstreamId: string | null;
  event: "crashed" | "restarted" | "idle_stopped";
  source: "gateway" | "stdio";
  detail?: Record<string, unknown>;
  at: number;
};

/** Records an upstream process ending unexpectedly, starting again, or stopping when idle. */
export function recordUpstreamLifecycle(db: Db, input: UpstreamLifecycle): string {
  return appendEvent(db, {
    occurredAt: input.at,
    source: input.source,
    actorType: "system",
    actorId: null,
    actorLabel: input.source,
    action: `upstream.${input.event}`,
    server: input.server,
    targetType: "upstream",
    targetId: input.upstreamId,
    detail: canonicalJson(input.detail ?? {}),
  });
}
