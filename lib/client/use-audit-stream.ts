"use client";

import { useEffect, useRef, useState } from "react";

import type { AuditEventView } from "@/lib/core/audit/views";

const REFUSED_RETRY_MS = 15_000;

export type StreamStatus = "connecting" | "live" | "paused" | "reconnecting";

/**
 * Subscribes to the audit event stream. `onEvents` receives batches of rows (coalesced per
 * animation frame). `after` is the seq to start after (null: wait, undefined: from now).
 * While paused the connection is closed; resuming continues from the last row seen, so
 * nothing is missed.
 */
export function useAuditStream(
  onEvents: (rows: AuditEventView[]) => void,
  options: { paused?: boolean; after?: number | null } = {},
): StreamStatus {
  const [status, setStatus] = useState<Exclude<StreamStatus, "paused">>("connecting");
  const handler = useRef(onEvents);
  const lastSeq = useRef<number | null>(null);
  const { paused = false, after } = options;
  const waiting = after === null;

  useEffect(() => {
    handler.current = onEvents;
  }, [onEvents]);

  useEffect(() => {
    if (paused || waiting) return;
    if (lastSeq.current === null && after !== undefined) lastSeq.current = after;
    let buffer: AuditEventView[] = [];
    let frame = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      frame = 0;
      const rows = buffer;
      buffer = [];
      if (rows.length) handler.current(rows);
    };
    const open = (): EventSource => {
      const url =
        lastSeq.current !== null
          ? `/api/v1/audit/stream?after=${lastSeq.current}`
          : "/api/v1/audit/stream";
      const next = new EventSource(url);
      next.addEventListener("ready", () => setStatus("live"));
      next.addEventListener("audit", (e) => {
        const row = JSON.parse((e as MessageEvent<string>).data) as AuditEventView;
        lastSeq.current = row.seq;
        buffer.push(row);
        frame ||= requestAnimationFrame(flush);
      });
      // The browser retries a dropped stream by itself, but not a refused one (too many
      // streams open): that one is tried again here, later.
      next.onerror = () => {
        setStatus("reconnecting");
        if (next.readyState !== EventSource.CLOSED) return;
        retry = setTimeout(() => {
          source = open();
        }, REFUSED_RETRY_MS);
      };
      return next;
    };
    let source = open();
    return () => {
      clearTimeout(retry);
      if (frame) cancelAnimationFrame(frame);
      flush();
      source.close();
      setStatus("connecting");
    };
    // `after` only seeds the first connection; later ones resume from the last row seen.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [paused, waiting]);

  return paused ? "paused" : status;
}
