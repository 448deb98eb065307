import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";

import {
  CALLBACK_CAPABILITY,
  classify,
  errorResponse,
  idKey,
  JSONRPC,
  type JsonRpcId,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type JSONRPCResponse,
  type Message,
  type Outbound,
} from "../jsonrpc";
import { log } from "../log";
import { META, MODERN_VERSION } from "../modern";
import { TaskBook } from "../tasks";
import type { LinkClosed, UpstreamLink } from "./links";
import { levelRank, SessionState } from "./session-state";

/** The client-session side of a connection: where upstream traffic for one session goes. */
export interface SessionPort {
  readonly key: string;
  /** The client declared sampling or elicitation: the server may call back into it mid-request. */
  readonly interactive: boolean;
  /** Capabilities the client declared in its initialize (shared connections check them). */
  readonly clientCapabilities: Record<string, unknown>;
  /** The client's own name and version, when it gave them. */
  readonly clientInfo?: Record<string, unknown>;
  deliver(message: Outbound, related?: JsonRpcId): void;
  /** The upstream answers request `id` with an event stream, or (`paused`) paused that stream. */
  streamed?(id: JsonRpcId, paused?: { retryMs: number }): void;
}

export type ConnectionMode =
  /** One client session; its own initialize goes upstream; the upstream's exit ends the session. */
  | "exclusive"
  /** Any number of sessions over one upstream that the gateway initializes itself. */
  | "shared";

export type ConnectionOptions = {
  server: string;
  mode: ConnectionMode;
  createLink: () => UpstreamLink;
  /** Stop the upstream after this long without traffic (shared mode; it restarts on demand). */
  idleMs?: number;
  handshakeTimeoutMs?: number;
  /** Called when the upstream process ends unexpectedly and when it is started again. */
  onLifecycle?: (event: LifecycleEvent) => void;
  clientInfo?: { name: string; version: string };
  /**
   * A server that may speak the stateless revision. `prefer: "modern"` asks it first and drives
   * it statelessly when it can; `"legacy"` opens a session and goes stateless only when the
   * server refuses one. A server speaking both thus serves each client in its own revision.
   */
  modern?: {
    prefer: "modern" | "legacy";
    probe: () => Promise<boolean>;
    createLink: () => UpstreamLink;
  };
};

export type LifecycleEvent =
  | { kind: "crashed"; reason: string; inFlight: number }
  | { kind: "restarted"; attempt: number }
  | { kind: "idle_stopped" };

type Outstanding = {
  upstreamId: number;
  port: SessionPort;
  clientId: JsonRpcId;
  method: string;
  progressToken?: { upstream: string; client: string | number };
  onFailure: (reason: string) => void;
  /** Answered by the gateway itself (subscription and log-level bookkeeping). */
  internal?: (m: JSONRPCResponse) => void;
};

type Queued = { port: SessionPort; message: JSONRPCRequest; onFailure: (reason: string) => void };

const LIST_TIMEOUT_MS = 10_000;
const BACKOFF_MS = [0, 250, 1_000, 4_000, 15_000, 30_000];

/**
 * One upstream connection multiplexed over client sessions, with the bookkeeping the SDK's
 * Protocol keeps per endpoint: request ids are renumbered per connection and mapped back,
 * progress tokens rewritten and routed, cancellations translated, subscriptions reference
 * counted and log levels merged (the most verbose asked for goes upstream; each session is
 * filtered to its own). stdio carries nothing that ties a server-to-client request to the call
 * that caused it, so such requests go to the one session with requests in flight; to keep that
 * unambiguous, a session whose client can be called back (sampling, elicitation) never has
 * requests in flight at the same time as another session.
 */
export class UpstreamConnection {
  private link: UpstreamLink | null = null;
  private starting: Promise<void> | null = null;
  private initResult: Record<string, unknown> | null = null;
  /** The upstream's own `server/discover` answer, when it speaks the stateless revision. */
  private discovery: Record<string, unknown> | null = null;
  /** Which revision the running upstream speaks. */
  era: "legacy" | "modern" = "legacy";
  private seq = 0;
  private readonly outstanding = new Map<string, Outstanding>();
  private readonly byClient = new Map<string, number>();
  private readonly progress = new Map<string, { port: SessionPort; token: string | number }>();
  private readonly serverRequests = new Map<string, SessionPort>();
  private readonly inFlight = new Map<SessionPort, number>();
  private readonly queue: Queued[] = [];
  private readonly ports = new Set<SessionPort>();
  private readonly state = new SessionState<SessionPort>();
  private toolList: Promise<Record<string, unknown>[] | null> | null = null;
  private ownHandshake: Promise<void> | null = null;
  private crashes = 0;
  private closed = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private lastTraffic = Date.now();
  /** Which agent created each task this upstream holds (tasks outlive the calls that made them). */
  readonly tasks = new TaskBook();
  /** The exit of an exclusive upstream, once it happened. */
  exited: LinkClosed | null = null;
  onExit?: (info: LinkClosed) => void;

  constructor(private readonly o: ConnectionOptions) {}

  get server(): string {
    return this.o.server;
  }

  get mode(): ConnectionMode {
    return this.o.mode;
  }

  get running(): boolean {
    return this.link !== null;
  }

  get sessions(): number {
    return this.ports.size;
  }

  /** The upstream's initialize result (shared mode), starting the upstream if needed. */
  async initializeResult(): Promise<Record<string, unknown>> {
    await this.ready();
    // An exclusive upstream whose client never initialized it (a stateless client): the proxy does.
    if (!this.initResult && this.o.mode === "exclusive" && this.link) {
      const link = this.link;
      this.ownHandshake ??= this.handshake(link).catch((err: unknown) => {
        this.ownHandshake = null;
        throw err;
      });
      await this.ownHandshake;
    }
    if (!this.initResult) throw new Error("the upstream did not complete initialize");
    return this.initResult;
  }

  attach(port: SessionPort): void {
    this.ports.add(port);
  }

  /** Forgets a session: its open requests are cancelled upstream, its subscriptions dropped. */
  detach(port: SessionPort): void {
    if (!this.ports.delete(port)) return;
    for (const [key, entry] of this.outstanding) {
      if (entry.port !== port || entry.internal) continue;
      this.outstanding.delete(key);
      this.byClient.delete(clientKey(port, entry.clientId));
      if (entry.progressToken) this.progress.delete(entry.progressToken.upstream);
      this.sendUp({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: entry.upstreamId, reason: "client session closed" },
      });
    }
    this.inFlight.delete(port);
    for (const [id, owner] of this.serverRequests)
      if (owner === port) this.serverRequests.delete(id);
    const { unsubscribe, level } = this.state.drop(port);
    for (const uri of unsubscribe) this.internalRequest("resources/unsubscribe", { uri });
    if (level && this.era === "legacy") this.internalRequest("logging/setLevel", { level });
    for (let i = this.queue.length - 1; i >= 0; i--)
      if (this.queue[i]?.port === port) this.queue.splice(i, 1);
    this.pump();
  }

  /** Starts the upstream (and, in shared mode, initializes it) unless it is running. */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new Error("connection closed"));
    if (this.link && !this.starting) return Promise.resolve();
    this.starting ??= this.start().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async start(): Promise<void> {
    const delay = BACKOFF_MS[Math.min(this.crashes, BACKOFF_MS.length - 1)] ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const shared = this.o.mode === "shared";
    const modern = shared && this.o.modern?.prefer === "modern" && (await this.o.modern.probe());
    try {
      await this.open(modern ? "modern" : "legacy");
    } catch (err) {
      // A server that refuses the session handshake may still speak the stateless revision.
      const fallback =
        shared && this.o.modern?.prefer === "legacy" && (await this.o.modern.probe());
      if (!fallback) throw err;
      await this.open("modern");
    }
    if (shared && this.crashes > 0)
      this.o.onLifecycle?.({ kind: "restarted", attempt: this.crashes });
    this.touch();
  }

  private async open(era: "legacy" | "modern"): Promise<void> {
    const link =
      era === "modern" && this.o.modern ? this.o.modern.createLink() : this.o.createLink();
    this.era = era;
    link.onmessage = (m, related) => this.fromUpstream(m, related);
    link.onclose = (info) => this.onLinkClosed(link, info);
    link.onstream = (id, paused) => this.streamed(id, paused);
    await link.start();
    this.link = link;
    if (this.o.mode !== "shared") return;
    try {
      await (era === "modern" ? this.discover() : this.handshake(link));
    } catch (err) {
      if (this.link === link) {
        this.link = null;
        this.crashes += 1;
      }
      await link.close().catch(() => {});
      throw err;
    }
  }

  private async handshake(link: UpstreamLink): Promise<void> {
    const result = await new Promise<JSONRPCResponse>((resolve, reject) => {
      const id = ++this.seq;
      const timer = setTimeout(
        () => reject(new Error("initialize timed out")),
        this.o.handshakeTimeoutMs ?? 20_000,
      );
      this.outstanding.set(idKey(id), {
        upstreamId: id,
        port: NOBODY,
        clientId: id,
        method: "initialize",
        onFailure: (reason) => {
          clearTimeout(timer);
          reject(new Error(reason));
        },
        internal: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
      link
        .send({
          jsonrpc: "2.0",
          id,
          method: "initialize",
          params: {
            protocolVersion: LATEST_PROTOCOL_VERSION,
            // Roots belong to one client; a shared server never sees them (see docs/cli.md).
            capabilities: { sampling: {}, elicitation: {} },
            clientInfo: this.o.clientInfo ?? { name: "portcullis-gateway", version: "1" },
          },
        })
        .catch((err: unknown) => {
          clearTimeout(timer);
          reject(err as Error);
        });
    });
    if ("error" in result)
      throw new Error(`initialize refused: ${JSON.stringify(result.error).slice(0, 200)}`);
    this.initResult = result.result;
    const version = this.initResult.protocolVersion;
    if (typeof version === "string") link.setProtocolVersion?.(version);
    await link.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    const level = this.state.upstreamLevel;
    if (level) this.internalRequest("logging/setLevel", { level });
    for (const uri of this.state.uris()) this.internalRequest("resources/subscribe", { uri });
  }

  /** Learns a stateless upstream's capabilities; session-based clients get them as an initialize result. */
  private async discover(): Promise<void> {
    const answer = await new Promise<JSONRPCResponse | null>((resolve) =>
      this.internalRequest("server/discover", { _meta: this.envelope(NOBODY) }, resolve),
    );
    if (!answer || !("result" in answer)) throw new Error("server/discover failed");
    const d = answer.result;
    this.discovery = d;
    const meta = (d._meta ?? {}) as Record<string, unknown>;
    this.initResult = {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: d.capabilities ?? {},
      serverInfo: meta[META.serverInfo] ?? { name: this.o.server, version: "unknown" },
      ...(typeof d.instructions === "string" ? { instructions: d.instructions } : {}),
    };
  }

  /** The upstream's `server/discover` answer, or null for a session-based upstream. */
  get discoverAnswer(): Record<string, unknown> | null {
    return this.discovery;
  }

  /** The stateless envelope a session-based client's request needs on its way to a stateless upstream. */
  private envelope(port: SessionPort): Record<string, unknown> {
    const level = this.state.levelOf(port);
    return {
      [META.protocolVersion]: MODERN_VERSION,
      [META.clientCapabilities]: port.clientCapabilities,
      [META.clientInfo]: port.clientInfo ??
        this.o.clientInfo ?? { name: "portcullis-gateway", version: "1" },
      ...(level ? { [META.logLevel]: level } : {}),
    };
  }

  /**
   * Sends a client request upstream. `onFailure` runs when the upstream fails before answering,
   * with "closed (…)" or "unavailable: …"; the answer reaches the port with the client's own id.
   */
  request(port: SessionPort, message: JSONRPCRequest, onFailure: (reason: string) => void): void {
    if (this.o.mode === "shared" && this.answerLocally(port, message)) return;
    if (this.o.mode === "shared" && !this.admits(port)) {
      this.queue.push({ port, message, onFailure });
      return;
    }
    this.dispatch(port, message, onFailure);
  }

  private dispatch(
    port: SessionPort,
    message: JSONRPCRequest,
    onFailure: (reason: string) => void,
  ): void {
    const clientId = message.id;
    const upstreamId = ++this.seq;
    const entry: Outstanding = { upstreamId, port, clientId, method: message.method, onFailure };
    const { params } = message;
    const meta = params?._meta;
    let out: JSONRPCRequest = { ...message, id: upstreamId };
    if (this.era === "modern" && !(meta && META.protocolVersion in meta)) {
      out = {
        ...out,
        params: { ...params, _meta: { ...meta, ...this.envelope(port) } },
      };
    }
    const token = meta?.progressToken;
    if (params && meta && (typeof token === "string" || typeof token === "number")) {
      const upstream = `${upstreamId}`;
      entry.progressToken = { upstream, client: token };
      this.progress.set(upstream, { port, token });
      out = {
        ...out,
        params: { ...out.params, _meta: { ...out.params?._meta, progressToken: upstream } },
      };
    }
    this.outstanding.set(idKey(upstreamId), entry);
    this.byClient.set(clientKey(port, clientId), upstreamId);
    this.inFlight.set(port, (this.inFlight.get(port) ?? 0) + 1);
    this.touch();
    void this.ready()
      .then(() => {
        if (!this.outstanding.has(idKey(upstreamId))) return;
        const link = this.link;
        if (!link) throw new Error("the upstream is not running");
        return link.send(out);
      })
      .catch((err: unknown) => {
        if (!this.outstanding.has(idKey(upstreamId))) return;
        this.settle(upstreamId, entry);
        onFailure(`unavailable: ${(err as Error).message}`);
      });
  }

  /** Shared mode answers what belongs to the connection, not to one client. */
  private answerLocally(port: SessionPort, message: JSONRPCRequest): boolean {
    const { id } = message;
    const params = message.params ?? {};
    switch (message.method) {
      case "ping":
        // Removed from the stateless revision; the gateway answers for the connection.
        if (this.era !== "modern") return false;
        port.deliver({ jsonrpc: "2.0", id, result: {} }, id);
        return true;
      case "logging/setLevel": {
        if (typeof params.level !== "string" || levelRank(params.level) < 0) return false;
        const level = this.state.setLevel(port, params.level);
        // A stateless upstream takes the level with each request instead.
        if (level && this.era === "legacy") this.internalRequest("logging/setLevel", { level });
        port.deliver({ jsonrpc: "2.0", id, result: {} }, id);
        return true;
      }
      case "resources/subscribe":
      case "resources/unsubscribe": {
        if (typeof params.uri !== "string") return false;
        const on = message.method === "resources/subscribe";
        const edge = this.state.subscribe(port, params.uri, on);
        // A stateless upstream has no subscriptions to forward (see docs/cli.md).
        if (!edge || this.era === "modern") {
          port.deliver({ jsonrpc: "2.0", id, result: {} }, id);
          return true;
        }
        return false;
      }
      default:
        return false;
    }
  }

  private internalRequest(
    method: string,
    params: Record<string, unknown>,
    answer: (m: JSONRPCResponse | null) => void = () => {},
  ): void {
    if (!this.link) return answer(null);
    const id = ++this.seq;
    this.outstanding.set(idKey(id), {
      upstreamId: id,
      port: NOBODY,
      clientId: id,
      method,
      onFailure: () => answer(null),
      internal: answer,
    });
    const body =
      this.era === "modern" && !params._meta ? { ...params, _meta: this.envelope(NOBODY) } : params;
    this.sendUp({ jsonrpc: "2.0", id, method, params: body });
  }

  /**
   * The upstream's whole tool list, fetched by the gateway itself once per upstream start, so
   * pinning applies even to clients that never list. Null when the upstream does not answer.
   */
  listTools(): Promise<Record<string, unknown>[] | null> {
    this.toolList ??= this.ready()
      .then(async () => {
        const all: Record<string, unknown>[] = [];
        let cursor: unknown;
        for (let page = 0; page < 20; page++) {
          const res = await new Promise<JSONRPCResponse | null>((resolve) => {
            const timer = setTimeout(() => resolve(null), LIST_TIMEOUT_MS);
            this.internalRequest("tools/list", cursor === undefined ? {} : { cursor }, (m) => {
              clearTimeout(timer);
              resolve(m);
            });
          });
          const result = res && "result" in res ? res.result : undefined;
          if (!result || !Array.isArray(result.tools)) return null;
          for (const t of result.tools)
            if (t && typeof t === "object" && typeof (t as { name?: unknown }).name === "string")
              all.push(t as Record<string, unknown>);
          if (typeof result.nextCursor !== "string") break;
          cursor = result.nextCursor;
        }
        return all;
      })
      .catch(() => null)
      .then((tools) => {
        if (tools === null) this.toolList = null;
        return tools;
      });
    return this.toolList;
  }

  /** A session may start a request unless that would mix a call-back-able session with another. */
  private admits(port: SessionPort): boolean {
    // Each stateless request has its own response stream: nothing needs attributing.
    if (this.era === "modern") return true;
    if (this.queue.length > 0 && !this.inFlight.has(port)) return false;
    for (const [other, n] of this.inFlight) {
      if (other === port || n === 0) continue;
      if (port.interactive || other.interactive) return false;
    }
    return true;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (!next) return;
      let clear = true;
      for (const [other, n] of this.inFlight) {
        if (other !== next.port && n > 0 && (next.port.interactive || other.interactive))
          clear = false;
      }
      if (!clear) return;
      this.queue.shift();
      this.dispatch(next.port, next.message, next.onFailure);
    }
  }

  private settle(upstreamId: number, entry: Outstanding): void {
    this.outstanding.delete(idKey(upstreamId));
    if (entry.internal) return;
    this.byClient.delete(clientKey(entry.port, entry.clientId));
    if (entry.progressToken) this.progress.delete(entry.progressToken.upstream);
    const n = (this.inFlight.get(entry.port) ?? 1) - 1;
    if (n > 0) this.inFlight.set(entry.port, n);
    else this.inFlight.delete(entry.port);
    this.pump();
  }

  /**
   * Gives up on a session's request: the upstream is told to cancel it, and it stops counting
   * as in flight at once (an upstream need not answer a cancelled request; one that never did
   * would hold back other sessions' requests and the idle stop for as long as the session
   * lives). A late answer is dropped. A request still queued is simply dropped: false then,
   * since it never reached the upstream.
   */
  abandon(port: SessionPort, clientId: JsonRpcId, reason: string): boolean {
    const upstreamId = this.byClient.get(clientKey(port, clientId));
    if (upstreamId === undefined) {
      const i = this.queue.findIndex((q) => q.port === port && q.message.id === clientId);
      if (i >= 0) this.queue.splice(i, 1);
      return i < 0;
    }
    this.sendUp({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: upstreamId, reason },
    });
    const entry = this.outstanding.get(idKey(upstreamId));
    if (entry) this.settle(upstreamId, entry);
    else this.byClient.delete(clientKey(port, clientId));
    return true;
  }

  /** Client notifications: cancellations are translated, the rest forwarded. */
  notify(port: SessionPort, message: JSONRPCNotification): void {
    const { method } = message;
    if (method === "notifications/cancelled") {
      const params = message.params ?? {};
      const requestId = params.requestId;
      if (typeof requestId !== "string" && typeof requestId !== "number") return;
      const upstreamId = this.byClient.get(clientKey(port, requestId));
      if (upstreamId === undefined) {
        const i = this.queue.findIndex((q) => q.port === port && q.message.id === requestId);
        if (i >= 0) this.queue.splice(i, 1);
        return;
      }
      this.sendUp({ ...message, params: { ...params, requestId: upstreamId } });
      return;
    }
    if (this.o.mode === "shared") {
      // The gateway initialized the shared upstream itself; roots belong to one client.
      if (method === "notifications/initialized" || method === "notifications/roots/list_changed")
        return;
    }
    this.touch();
    this.sendUp(message);
  }

  /** How the upstream answers one of its requests (a stream, a paused stream): told to its session. */
  private streamed(upstreamId: JsonRpcId, paused?: { retryMs: number }): void {
    const entry = this.outstanding.get(idKey(upstreamId));
    if (entry && !entry.internal) entry.port.streamed?.(entry.clientId, paused);
  }

  /** The client came back for the stream of its request `clientId`: resume it upstream now. */
  resume(port: SessionPort, clientId: JsonRpcId): void {
    const upstreamId = this.byClient.get(clientKey(port, clientId));
    if (upstreamId !== undefined) this.link?.resume?.(upstreamId);
  }

  /**
   * Hands a request that is still running upstream from one port to another (a stateless call
   * parked while its client answers a question, then taken up by the client's retry). Its
   * server-to-client requests and progress follow it. False when the request is not running.
   */
  rebind(
    from: SessionPort,
    fromId: JsonRpcId,
    to: SessionPort,
    toId: JsonRpcId,
    onFailure: (reason: string) => void,
  ): boolean {
    const upstreamId = this.byClient.get(clientKey(from, fromId));
    const entry = upstreamId === undefined ? undefined : this.outstanding.get(idKey(upstreamId));
    if (upstreamId === undefined || !entry) return false;
    this.byClient.delete(clientKey(from, fromId));
    this.byClient.set(clientKey(to, toId), upstreamId);
    entry.port = to;
    entry.clientId = toId;
    entry.onFailure = onFailure;
    if (entry.progressToken) this.progress.delete(entry.progressToken.upstream);
    delete entry.progressToken;
    const left = (this.inFlight.get(from) ?? 1) - 1;
    if (left > 0) this.inFlight.set(from, left);
    else this.inFlight.delete(from);
    this.inFlight.set(to, (this.inFlight.get(to) ?? 0) + 1);
    for (const [id, owner] of this.serverRequests)
      if (owner === from) this.serverRequests.set(id, to);
    return true;
  }

  /** A client's answer to a server-to-client request; only the session it was sent to may answer. */
  respond(port: SessionPort, message: JSONRPCResponse): boolean {
    if (message.id === undefined) return false;
    const key = idKey(message.id);
    if (this.serverRequests.get(key) !== port) return false;
    this.serverRequests.delete(key);
    this.sendUp(message);
    return true;
  }

  private fromUpstream(msg: Message, related?: JsonRpcId): void {
    this.touch();
    const c = classify(msg);
    if (c.kind === "request") return this.serverRequest(c.message);
    if (c.kind === "response") return this.response(c.message, c.id);
    if (c.kind === "notification") return this.notification(c.message, related);
    log.debug(`server ${this.o.server}: dropped an invalid upstream message (${c.reason})`);
  }

  private response(msg: JSONRPCResponse, id: JsonRpcId): void {
    if (typeof id !== "number") {
      log.debug(`server ${this.o.server}: dropped a response to an unknown request ${String(id)}`);
      return;
    }
    const entry = this.outstanding.get(idKey(id));
    if (!entry) {
      log.debug(`server ${this.o.server}: dropped a response to an unknown request ${id}`);
      return;
    }
    this.settle(id, entry);
    if (entry.internal) return entry.internal(msg);
    if (entry.method === "initialize" && this.o.mode === "exclusive" && "result" in msg) {
      this.initResult = msg.result;
      const version = msg.result.protocolVersion;
      if (typeof version === "string") this.link?.setProtocolVersion?.(version);
    }
    entry.port.deliver({ ...msg, id: entry.clientId }, entry.clientId);
  }

  private serverRequest(msg: JSONRPCRequest): void {
    const { id } = msg;
    const port = this.attribute();
    const capability = CALLBACK_CAPABILITY[msg.method];
    const refuse = (why: string) => this.sendUp(errorResponse(id, JSONRPC.METHOD_NOT_FOUND, why));
    if (!port) return refuse("No client session can be told apart for this request");
    if (this.o.mode === "shared" && capability && !(capability in port.clientCapabilities))
      return refuse(`Client does not support ${capability}`);
    this.serverRequests.set(idKey(id), port);
    port.deliver(msg, this.soleRequestOf(port));
  }

  private notification(msg: JSONRPCNotification, related?: JsonRpcId): void {
    const { method } = msg;
    const params = msg.params ?? {};
    if (method === "notifications/progress") {
      const token = params.progressToken;
      const route = this.progress.get(String(token));
      if (!route) return;
      const clientRequest = this.clientRequestFor(route.port, route.token);
      route.port.deliver(
        { ...msg, params: { ...params, progressToken: route.token } },
        clientRequest,
      );
      return;
    }
    if (method === "notifications/cancelled") {
      const requestId = params.requestId;
      const key =
        typeof requestId === "string" || typeof requestId === "number" ? idKey(requestId) : "";
      const port = this.serverRequests.get(key);
      if (port) {
        this.serverRequests.delete(key);
        port.deliver(msg);
      }
      return;
    }
    // A stateless upstream sends everything on the stream of the request it belongs to.
    const carrier = related === undefined ? undefined : this.outstanding.get(idKey(related));
    if (carrier && !carrier.internal) {
      if (method === "notifications/message" && !this.state.wantsLog(carrier.port, params.level))
        return;
      carrier.port.deliver(msg, carrier.clientId);
      return;
    }
    if (method.endsWith("/list_changed") || this.o.mode === "exclusive") {
      for (const port of this.ports)
        port.deliver(msg, this.o.mode === "exclusive" ? this.soleRequestOf(port) : undefined);
      return;
    }
    if (method === "notifications/resources/updated") {
      const uri = typeof params.uri === "string" ? params.uri : "";
      for (const port of this.state.subscribed(uri)) port.deliver(msg);
      return;
    }
    const port = this.attribute();
    if (!port) {
      log.debug(`server ${this.o.server}: ${method} belongs to no single session; dropped`);
      return;
    }
    if (method === "notifications/message" && !this.state.wantsLog(port, params.level)) return;
    port.deliver(msg, this.soleRequestOf(port));
  }

  /** The one session a server-initiated message can belong to, or null when that is unclear. */
  private attribute(): SessionPort | null {
    const busy = [...this.inFlight.keys()];
    if (busy.length === 1) return busy[0] ?? null;
    if (busy.length === 0 && this.ports.size === 1) return this.ports.values().next().value ?? null;
    return null;
  }

  private soleRequestOf(port: SessionPort): JsonRpcId | undefined {
    let found: JsonRpcId | undefined;
    for (const entry of this.outstanding.values()) {
      if (entry.port !== port || entry.internal) continue;
      if (found !== undefined) return undefined;
      found = entry.clientId;
    }
    return found;
  }

  private clientRequestFor(port: SessionPort, token: string | number): JsonRpcId | undefined {
    for (const entry of this.outstanding.values())
      if (entry.port === port && entry.progressToken?.client === token) return entry.clientId;
    return undefined;
  }

  private sendUp(message: Outbound): void {
    this.link
      ?.send(message)
      .catch((err: unknown) =>
        log.debug(`server ${this.o.server}: upstream write failed: ${(err as Error).message}`),
      );
  }

  private onLinkClosed(link: UpstreamLink, info: LinkClosed): void {
    if (this.link !== link) return;
    this.link = null;
    this.toolList = null;
    this.initResult = this.o.mode === "shared" ? null : this.initResult;
    this.discovery = null;
    const failed = [...this.outstanding.entries()];
    this.outstanding.clear();
    this.byClient.clear();
    this.progress.clear();
    this.inFlight.clear();
    this.serverRequests.clear();
    const userCalls = failed.filter(([, e]) => !e.internal).length;
    if (!this.closed && this.o.mode === "shared") {
      this.crashes += 1;
      this.o.onLifecycle?.({ kind: "crashed", reason: info.reason, inFlight: userCalls });
    }
    for (const [, entry] of failed) entry.onFailure(`closed (${info.reason})`);
    if (this.o.mode === "exclusive") {
      this.exited = info;
      this.onExit?.(info);
      return;
    }
    // Queued requests start the upstream again, with backoff.
    this.pump();
  }

  private touch(): void {
    this.lastTraffic = Date.now();
    if (this.o.mode !== "shared" || !this.o.idleMs || this.idleTimer) return;
    const check = () => {
      this.idleTimer = null;
      if (!this.link || this.closed) return;
      const idle = Date.now() - this.lastTraffic;
      if (idle >= (this.o.idleMs ?? 0) && this.outstanding.size === 0) {
        const link = this.link;
        this.link = null;
        this.toolList = null;
        this.crashes = 0;
        this.o.onLifecycle?.({ kind: "idle_stopped" });
        void link.close();
        return;
      }
      this.idleTimer = setTimeout(check, Math.max(50, (this.o.idleMs ?? 0) - idle));
      this.idleTimer.unref();
    };
    this.idleTimer = setTimeout(check, this.o.idleMs);
    this.idleTimer.unref();
  }

  /** The running link (tests and `run`'s signal forwarding). */
  get currentLink(): UpstreamLink | null {
    return this.link;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const link = this.link;
    if (link) await link.close();
  }
}

const NOBODY: SessionPort = {
  key: "",
  interactive: false,
  clientCapabilities: {},
  deliver: () => {},
};

const clientKey = (port: SessionPort, id: JsonRpcId) => `${port.key}|${idKey(id)}`;
