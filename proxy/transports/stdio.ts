import { type FrameLimits, parseFrame, type Frame } from "../jsonrpc";

export type StdioHandlers = {
  /** A framed message, or the reason one line could not be framed (with its raw text). */
  onFrame: (frame: Frame, raw: string) => void;
  /** A line grew past the size cap; it is discarded up to its end. */
  onOversize: (head: string) => void;
  onEnd: () => void;
};

/**
 * Reads newline-delimited JSON-RPC from a stream under the size and depth caps. An over-long
 * line is reported once and skipped up to its newline, so one bad message cannot wedge the
 * stream or exhaust memory.
 */
export function readFrames(
  input: NodeJS.ReadableStream,
  limits: FrameLimits,
  handlers: StdioHandlers,
): void {
  let buffer = "";
  let discarding = false;
  const onLine = (line: string) => {
    if (line.trim()) handlers.onFrame(parseFrame(line, limits), line);
  };
  input.setEncoding("utf8");
  input.on("data", (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (discarding) discarding = false;
      else onLine(line);
    }
    if (buffer.length > limits.maxBytes) {
      if (!discarding) handlers.onOversize(buffer.slice(0, 256));
      discarding = true;
      buffer = "";
    }
  });
  input.on("end", () => {
    if (buffer.trim() && !discarding) onLine(buffer);
    handlers.onEnd();
  });
}
