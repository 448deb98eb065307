"use client";

import { useEffect, useRef, useState } from "react";

import type { AuditEventView } from "@/lib/core/audit/views";

export type StreamStatus = "connecting" | "live" | "paused" | "reconnecting";

/**
 * Subscribes to the audit event stream. `onEvents` receives batches of rows (coalesced per
 * animation frame). While paused the connection is closed; resuming continues from the last
 * row seen, so nothing is missed.
 */
export function useAuditStream(onEvents: (rows: AuditEventView[]) => void, options: { paused?: boolean; after?: number | null } = {}) {
  const [status, setStatus] = useState<StreamStatus>("connecting");
  const handler = useRef(onEvents);
  handler.current = onEvents;
  const lastSeq = useRef<number | null>(null);
  if (lastSeq.current === null && options.after !== undefined && options.after !== null) lastSeq.current = options.after;
  const enabled = options.after !== null;

  useEffect(() => {
    if (options.paused) {
      setStatus("paused");
      return;
    }
    if (!enabled) return;
    setStatus("connecting");
    const url = lastSeq.current !== null ? `/api/v1/audit/stream?after=${lastSeq.current}` : "/api/v1/audit/stream";
    const source = new EventSource(url);
    let buffer: AuditEventView[] = [];
    let frame = 0;
    const flush = () => {
      frame = 0;
      const rows = buffer;
      buffer = [];
      if (rows.length) handler.current(rows);
    };
    source.addEventListener("ready", () => setStatus("live"));
    source.addEventListener("audit", (e) => {
      const row = JSON.parse((e as MessageEvent<string>).data) as AuditEventView;
      lastSeq.current = row.seq;
      buffer.push(row);
      frame ||= requestAnimationFrame(flush);
    });
    source.onerror = () => setStatus("reconnecting");
    source.onopen = () => setStatus("live");
    return () => {
      if (frame) cancelAnimationFrame(frame);
      flush();
      source.close();
    };
  }, [options.paused, enabled]);

  return status;
}
