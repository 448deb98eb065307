import type { ServerResponse } from "node:http";

import type { ClientSession } from "../client-session";
import { idKey, type JsonRpcId, type Outbound } from "../jsonrpc";
import { log } from "../log";
import type { UpstreamConnection } from "../upstream/connection";

/**
 * Where one POSTed request's answer goes. It stays plain JSON when the answer is the only
 * message; the first message that belongs to the request before its answer (progress, a
 * sampling request) turns the response into an event stream.
 */
export class ResponseChannel {
  private streaming = false;
  gone = false;

  constructor(private readonly res: ServerResponse) {
    res.once("close", () => {
      this.gone = true;
    });
  }

  get ended(): boolean {
    return this.gone || this.res.writableEnded;
  }

  send(message: Outbound, final: boolean, status = 200): void {
    if (this.gone) return;
    const body = JSON.stringify(message);
    if (final && !this.streaming) {
      this.res.writeHead(status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      });
      this.res.end(body);
      return;
    }
    if (!this.streaming) {
      this.streaming = true;
      this.res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
    }
    this.res.write(`event: message\ndata: ${body}\n\n`);
    if (final) this.res.end();
  }
}

/** One Streamable HTTP client session: its id, agent, open response streams and GET stream. */
export class HttpSession {
  readonly id: string;
  readonly server: string;
  readonly agentId: string;
  lastActivity = Date.now();
  client!: ClientSession;
  connection!: UpstreamConnection;
  private readonly channels = new Map<string, ResponseChannel>();
  private standalone: ServerResponse | null = null;
  closing = false;

  constructor(init: { id: string; server: string; agentId: string }) {
    this.id = init.id;
    this.server = init.server;
    this.agentId = init.agentId;
  }

  /** The POST that carries request `id` waits on this response. */
  expect(id: JsonRpcId, res: ServerResponse): void {
    const key = idKey(id);
    const channel = new ResponseChannel(res);
    this.channels.set(key, channel);
    res.once("close", () => {
      if (this.channels.get(key) === channel) this.channels.delete(key);
    });
  }

  /** Opens the session's standalone stream (GET); false when one is already open. */
  openStream(res: ServerResponse): boolean {
    if (this.standalone && !this.standalone.writableEnded) return false;
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "mcp-session-id": this.id,
    });
    res.flushHeaders();
    this.standalone = res;
    res.once("close", () => {
      if (this.standalone === res) this.standalone = null;
    });
    return true;
  }

  /** Routes a message to the stream of the request it belongs to, else to the GET stream. */
  send(message: Outbound, related?: JsonRpcId): void {
    const isResponse = !("method" in message) && message.id !== undefined;
    const target = related ?? (isResponse ? (message.id as JsonRpcId) : undefined);
    if (target !== undefined && target !== null) {
      const key = idKey(target);
      const channel = this.channels.get(key);
      if (channel) {
        const final = isResponse && message.id === target;
        if (final) this.channels.delete(key);
        channel.send(message, final);
        return;
      }
    }
    const stream = this.standalone;
    if (stream && !stream.writableEnded) {
      stream.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
      return;
    }
    log.debug(`session ${this.id}: no open stream for a message; dropped`);
  }

  closeStreams(): void {
    this.standalone?.end();
    this.standalone = null;
    this.channels.clear();
  }
}
