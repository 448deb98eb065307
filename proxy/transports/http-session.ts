import type { ServerResponse } from "node:http";

import type { ClientSession } from "../client-session";
import { idKey, type JsonRpcId, type Outbound } from "../jsonrpc";
import { log } from "../log";
import { ERRORS, reply } from "../replies";
import type { UpstreamConnection } from "../upstream/connection";
import { type EventStream, SessionEventStore, type StoredEvent } from "./event-store";

/** How long a client waits before reconnecting once the gateway closed a stream's connection. */
export const RETRY_MS = 1_000;

/** The first revision whose clients expect a priming event (an id, empty data) on POST streams. */
const PRIMING_SINCE = "2025-11-25";

const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};

/** Where a session's channel keeps its events, so that a client can resume the stream. */
type Resumable = { store: SessionEventStore; priming: boolean; sessionId: string };

function frame(stream: EventStream, event: StoredEvent): string {
  const id = stream.eventId(event.seq);
  return event.data === ""
    ? `id: ${id}\ndata: \n\n`
    : `event: message\nid: ${id}\ndata: ${event.data}\n\n`;
}

/**
 * Where one POSTed request's answer goes. It stays plain JSON when the answer is the only
 * message; the first message that belongs to the request before its answer (progress, a
 * sampling request), or an upstream that answers with a stream, turns the response into an
 * event stream.
 *
 * A session's channel (2025-11-25 and earlier) is resumable: every event of its stream carries
 * an id and is kept in the session's event store; for clients of 2025-11-25 the stream opens
 * with a priming event (an id, empty data) and a `retry` field. When the connection drops
 * before the answer, the stream lives on: what follows is stored, and a GET with
 * `Last-Event-ID` takes the stream over. A stateless (2026-07-28) request's channel has none of
 * this: its stream is its one connection, and closing it cancels the request.
 */
export class ResponseChannel {
  private streaming = false;
  /** The response carrying the channel now; null once it closed or was handed over. */
  private res: ServerResponse | null;
  /** The stored stream (session channels, once streaming). */
  stream: EventStream | null = null;
  /** The last message went out: nothing more belongs to this channel. */
  finished = false;

  constructor(
    res: ServerResponse,
    private readonly resumable?: Resumable,
  ) {
    this.res = res;
    this.watch(res);
  }

  /** A connection carries the channel now. */
  get live(): boolean {
    return this.res !== null;
  }

  /** The client can still get what is sent: over the connection, or by resuming the stream. */
  get reachable(): boolean {
    return this.res !== null || this.stream !== null;
  }

  send(message: Outbound, final: boolean, status = 200): void {
    if (this.finished || !this.reachable) return;
    const body = JSON.stringify(message);
    const res = this.res;
    if (final && !this.streaming && res) {
      this.finished = true;
      res.writeHead(status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    if (!this.streaming) this.begin();
    const stream = this.stream;
    if (stream && this.resumable) {
      // Stored whether or not a connection carries it: a resume replays it.
      const event = this.resumable.store.append(stream, body);
      this.res?.write(frame(stream, event));
    } else this.res?.write(`event: message\ndata: ${body}\n\n`);
    if (final) this.finish();
  }

  /** Turns the answer into an event stream now (the upstream streams it): priming event first. */
  upgrade(): void {
    if (this.streaming || this.finished || !this.res) return;
    this.begin();
    this.res.flushHeaders();
  }

  /** Opens the event stream at once (the session's GET stream): no priming event. */
  listen(): void {
    this.begin(RETRY_MS, true);
    this.res?.flushHeaders();
  }

  /**
   * The upstream closed its connection for this request before answering, asking to be polled
   * again in `retryMs`: the client's connection is closed the same way, the stream kept. False
   * when this client could not resume (no priming event for its revision, or nothing streamed).
   */
  pause(retryMs: number): boolean {
    const res = this.res;
    if (this.finished || !res || !this.resumable?.priming) return false;
    if (!this.streaming) this.begin(retryMs);
    else res.write(`retry: ${retryMs}\n\n`);
    this.res = null;
    res.end();
    return true;
  }

  /**
   * Hands the stream to `res` (a GET with `Last-Event-ID`): the stored events after `seq`
   * first, then what follows. A connection still carrying it is closed: the client that
   * resumes knows it is gone.
   */
  attach(res: ServerResponse, seq: number): void {
    const previous = this.res;
    this.res = res;
    this.watch(res);
    previous?.end();
    const stream = this.stream;
    const sessionId = this.resumable?.sessionId;
    res.writeHead(200, sessionId ? { ...SSE_HEADERS, "mcp-session-id": sessionId } : SSE_HEADERS);
    if (stream) for (const event of stream.after(seq)) res.write(frame(stream, event));
    if (this.finished) res.end();
    else res.flushHeaders();
  }

  /** Ends the connection, if any; the session is going away. */
  close(): void {
    const res = this.res;
    this.res = null;
    if (res && this.streaming) res.end();
  }

  /** Makes the response an event stream; a session's POST stream opens with a priming event. */
  private begin(retryMs = RETRY_MS, listening = false): void {
    const res = this.res;
    const r = this.resumable;
    this.streaming = true;
    if (!r) {
      res?.writeHead(200, SSE_HEADERS);
      return;
    }
    res?.writeHead(
      200,
      listening ? { ...SSE_HEADERS, "mcp-session-id": r.sessionId } : SSE_HEADERS,
    );
    const stream = r.store.open();
    this.stream = stream;
    if (listening || !r.priming) return;
    const priming = r.store.append(stream, "");
    res?.write(`id: ${stream.eventId(priming.seq)}\nretry: ${retryMs}\ndata: \n\n`);
  }

  private finish(): void {
    this.finished = true;
    if (this.stream && this.resumable) this.resumable.store.end(this.stream);
    this.res?.end();
  }

  private watch(res: ServerResponse): void {
    res.once("close", () => {
      if (this.res === res) this.res = null;
    });
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
  /** The events of this session's streams, for clients that resume one. */
  readonly events = new SessionEventStore();
  /** A client took the stream of request `id` back before its answer came. */
  onResume?: (id: JsonRpcId) => void;
  private readonly channels = new Map<string, { id: JsonRpcId; channel: ResponseChannel }>();
  private standalone: ResponseChannel | null = null;
  closing = false;

  constructor(init: { id: string; server: string; agentId: string }) {
    this.id = init.id;
    this.server = init.server;
    this.agentId = init.agentId;
  }

  /** The POST that carries request `id` waits on this response. */
  expect(id: JsonRpcId, res: ServerResponse): void {
    const key = idKey(id);
    const version = res.req?.headers["mcp-protocol-version"];
    const channel = new ResponseChannel(res, {
      store: this.events,
      priming: typeof version === "string" && version >= PRIMING_SINCE,
      sessionId: this.id,
    });
    this.channels.set(key, { id, channel });
    res.once("close", () => {
      // Before it streamed, the client holds no event id: nothing could resume the channel.
      if (this.channels.get(key)?.channel === channel && !channel.reachable)
        this.channels.delete(key);
    });
  }

  /** A request with this id still waits for its answer. */
  awaits(id: JsonRpcId): boolean {
    return this.channels.has(idKey(id));
  }

  /** Opens the session's standalone stream (GET); false when one is already open. */
  openStream(res: ServerResponse): boolean {
    const current = this.standalone;
    if (current?.live) return false;
    if (current) {
      current.attach(res, current.stream?.lastSeq ?? 0);
      return true;
    }
    const channel = new ResponseChannel(res, {
      store: this.events,
      priming: false,
      sessionId: this.id,
    });
    channel.listen();
    this.standalone = channel;
    return true;
  }

  /**
   * A GET with `Last-Event-ID`: the events after that one on its stream, then the rest of the
   * stream as it comes (a stream that already ended is replayed and closed). False when the id
   * names no stream this session still holds.
   */
  resume(lastEventId: string, res: ServerResponse): boolean {
    const found = this.events.locate(lastEventId);
    if (!found) return false;
    const { stream, seq } = found;
    if (this.standalone?.stream === stream) {
      this.standalone.attach(res, seq);
      return true;
    }
    for (const { id, channel } of this.channels.values()) {
      if (channel.stream !== stream) continue;
      channel.attach(res, seq);
      if (!channel.finished) this.onResume?.(id);
      return true;
    }
    res.writeHead(200, { ...SSE_HEADERS, "mcp-session-id": this.id });
    for (const event of stream.after(seq)) res.write(frame(stream, event));
    res.end();
    return true;
  }

  /**
   * The upstream answers request `id` with an event stream, so the client gets one too; with
   * `paused`, the upstream closed it before answering (see ResponseChannel.pause).
   */
  streamed(id: JsonRpcId, paused?: { retryMs: number }): void {
    const channel = this.channels.get(idKey(id))?.channel;
    if (!channel) return;
    if (paused) channel.pause(paused.retryMs);
    else channel.upgrade();
  }

  /** Routes a message to the stream of the request it belongs to, else to the GET stream. */
  send(message: Outbound, related?: JsonRpcId): void {
    const isResponse = !("method" in message) && message.id !== undefined;
    const target = related ?? (isResponse ? (message.id as JsonRpcId) : undefined);
    if (target !== undefined && target !== null) {
      const key = idKey(target);
      const entry = this.channels.get(key);
      if (entry) {
        const final = isResponse && message.id === target;
        if (final) {
          this.channels.delete(key);
          // An answer is activity: the session is not idle from when the request came in.
          this.lastActivity = Date.now();
        }
        entry.channel.send(message, final);
        return;
      }
    }
    // The GET stream carries no answers (2025-11-25: only when resuming a request's stream).
    if (isResponse) {
      log.debug(`session ${this.id}: an answer whose request has no stream; dropped`);
      return;
    }
    if (this.standalone) {
      this.standalone.send(message, false);
      return;
    }
    log.debug(`session ${this.id}: no open stream for a message; dropped`);
  }

  /**
   * Nothing open: no request waiting on its answer or its decision, and no GET stream. The SDK's client opens a
   * GET stream for as long as it is connected, so a dormant session is one its client has most
   * likely left without a DELETE.
   */
  get dormant(): boolean {
    return this.channels.size === 0 && !this.standalone?.live && this.client.idle;
  }

  /** The client cancelled request `id`: its POST is released, with no upstream answer to wait for. */
  release(id: JsonRpcId): void {
    const key = idKey(id);
    const entry = this.channels.get(key);
    if (!entry) return;
    this.channels.delete(key);
    entry.channel.send(reply.cancelled(id), true, ERRORS.request_cancelled.status);
  }

  /** Ends every stream; a request still waiting gets an error rather than no answer at all. */
  closeStreams(): void {
    this.standalone?.close();
    this.standalone = null;
    for (const { id, channel } of this.channels.values()) {
      channel.send(reply.sessionClosed(id), true, ERRORS.session_closed.status);
      channel.close();
    }
    this.channels.clear();
    this.events.clear();
  }
}
