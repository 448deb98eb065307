import type { JsonRpcId, Message, Outbound } from "../jsonrpc";
import { log } from "../log";
import { META, MIRRORED_NAME, MODERN_VERSION } from "../modern";
import { describeUrl, type LinkClosed, type UpstreamLink } from "./links";

/** Header values that are not plain visible ASCII travel base64-encoded, as the revision defines. */
function headerValue(value: string): string {
  return /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(value) && !value.startsWith("=?")
    ? value
    : `=?base64?${Buffer.from(value, "utf8").toString("base64")}?=`;
}

/**
 * A stateless (2026-07-28) Streamable HTTP upstream: every request is its own POST with the
 * mirrored headers, its answer (or its stream of progress, then the answer) comes back on that
 * POST, and a cancellation aborts the POST — which is how this revision cancels. Nothing ties
 * requests together, so nothing needs a session.
 */
export class ModernHttpLink implements UpstreamLink {
  readonly description: string;
  onmessage?: (message: Message, related?: JsonRpcId) => void;
  onclose?: (info: LinkClosed) => void;
  private readonly inFlight = new Map<string, AbortController>();
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
  ) {
    this.description = describeUrl(url);
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  send(message: Outbound): Promise<void> {
    if (this.closed) return Promise.reject(new Error("upstream link closed"));
    if (!("method" in message)) return Promise.resolve();
    if (!("id" in message)) {
      if (message.method === "notifications/cancelled") {
        const requestId = (message.params as { requestId?: unknown } | undefined)?.requestId;
        this.inFlight.get(String(requestId))?.abort();
      }
      return Promise.resolve();
    }
    const abort = new AbortController();
    const key = String(message.id);
    this.inFlight.set(key, abort);
    const field = MIRRORED_NAME[message.method];
    const name = field ? message.params?.[field] : undefined;
    const version = (message.params?._meta as Record<string, unknown> | undefined)?.[
      META.protocolVersion
    ];
    const related = message.id;
    void this.post(message, related, abort.signal, {
      ...this.headers,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": typeof version === "string" ? version : MODERN_VERSION,
      "mcp-method": message.method,
      ...(typeof name === "string" ? { "mcp-name": headerValue(name) } : {}),
    })
      .catch((err: unknown) => {
        if (abort.signal.aborted) return;
        this.onmessage?.({
          jsonrpc: "2.0",
          id: message.id,
          error: { code: -32000, message: `upstream request failed: ${(err as Error).message}` },
        });
      })
      .finally(() => this.inFlight.delete(key));
    return Promise.resolve();
  }

  private async post(
    message: Outbound,
    related: JsonRpcId,
    signal: AbortSignal,
    headers: Record<string, string>,
  ): Promise<void> {
    const res = await fetch(this.url, {
      method: "POST",
      headers,
      body: JSON.stringify(message),
      signal,
    });
    const type = res.headers.get("content-type") ?? "";
    if (type.includes("text/event-stream") && res.body) {
      // A stream that ends without the answer would leave the request waiting for good.
      if (!(await this.readEvents(res.body, related)))
        throw new Error("the upstream ended its event stream without an answer");
      return;
    }
    if (!res.body) throw new Error(`HTTP ${res.status} without a JSON-RPC answer`);
    if (!(await this.readJson(res.body, related)))
      throw new Error(`HTTP ${res.status} without a JSON-RPC answer`);
  }

  /**
   * A JSON answer; lenient servers also stream newline-delimited messages in a JSON response
   * (a listen stream among them), so complete lines are delivered as they arrive, and a body
   * whose lines are not each a message is read whole.
   */
  private async readJson(body: ReadableStream<Uint8Array>, related: JsonRpcId): Promise<boolean> {
    const decoder = new TextDecoder();
    let whole = "";
    let pending = "";
    let lines = true;
    let delivered = 0;
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      const text = decoder.decode(chunk, { stream: true });
      whole += text;
      if (!lines) continue;
      pending += text;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (!line) continue;
        const value = parseObject(line);
        if (!value) {
          lines = false;
          break;
        }
        delivered += 1;
        this.onmessage?.(value, related);
      }
    }
    const rest = lines ? pending.trim() : whole;
    if (rest) {
      const value = parseObject(rest);
      if (!value) return delivered > 0 && lines;
      this.onmessage?.(value, related);
      delivered += 1;
    }
    return delivered > 0;
  }

  /** Delivers the stream's messages; true when one of them answered `related`. */
  private async readEvents(body: ReadableStream<Uint8Array>, related: JsonRpcId): Promise<boolean> {
    const decoder = new TextDecoder();
    let buffered = "";
    let data: string[] = [];
    let answered = false;
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl).replace(/\r$/, "");
        buffered = buffered.slice(nl + 1);
        if (line === "") {
          if (data.length > 0 && this.deliver(data.join("\n"), related)) answered = true;
          data = [];
        } else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
    }
    if (data.length > 0 && this.deliver(data.join("\n"), related)) answered = true;
    return answered;
  }

  /** True when the event was the answer to `related`. */
  private deliver(text: string, related: JsonRpcId): boolean {
    if (!text.trim()) return false;
    try {
      const value = JSON.parse(text) as unknown;
      if (!value || typeof value !== "object" || Array.isArray(value)) return false;
      this.onmessage?.(value as Message, related);
      const m = value as { method?: unknown; id?: unknown };
      return m.method === undefined && m.id === related;
    } catch {
      log.warn(`upstream ${this.description} sent an event that is not JSON; dropped`);
      return false;
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const abort of this.inFlight.values()) abort.abort();
    this.inFlight.clear();
    this.onclose?.({ reason: "closed by the proxy" });
    return Promise.resolve();
  }
}

function parseObject(text: string): Message | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Message) : null;
  } catch {
    return null;
  }
}

/**
 * Asks a Streamable HTTP server whether it speaks the stateless revision: a valid
 * `server/discover` answer naming it means yes; anything else means a session-based server.
 */
export async function speaksModern(url: string, headers: Record<string, string>): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: {
        ...headers,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": MODERN_VERSION,
        "mcp-method": "server/discover",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: "portcullis-discover",
        method: "server/discover",
        params: {
          _meta: {
            [META.protocolVersion]: MODERN_VERSION,
            [META.clientCapabilities]: {},
            [META.clientInfo]: { name: "portcullis-gateway", version: "1" },
          },
        },
      }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    const events = text.split("\n").filter((l) => l.startsWith("data:"));
    const json = JSON.parse(events.length > 0 ? (events.at(-1)?.slice(5) ?? "") : text) as {
      result?: { supportedVersions?: unknown };
    };
    const versions = json.result?.supportedVersions;
    return Array.isArray(versions) && versions.includes(MODERN_VERSION);
  } catch {
    return false;
  }
}
