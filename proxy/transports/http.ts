import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

import type { Db } from "@/db/client";
import type { Upstream } from "@/db/schema";
import {
  type CallIdentity,
  type DecisionBatcher,
  type OutcomeWriter,
} from "@/lib/services/enforcement";
import { UpstreamDirectory } from "@/lib/services/gateway";
import { ClientSession } from "../client-session";
import { Continuations } from "../continuations";
import { ParkedCalls } from "../parking";
import { Enforcer, ToolCatalog } from "../enforcer";
import { classify, type JsonRpcId, type JSONRPCRequest, type Message } from "../jsonrpc";
import { log } from "../log";
import type { ProxyMetrics } from "../metrics";
import { checkEnvelope, classifyEra, type ModernRefusal, modernStatus } from "../modern";
import { ModernRequest } from "../modern-request";
import { DbPolicySource } from "../policy-source";
import type { UpstreamConnection } from "../upstream/connection";
import type { UpstreamPool } from "../upstream/pool";
import { HttpGuard, type RequestParty } from "./http-guard";
import { HttpRefusal, type RefusalAudit } from "./http-refusal";
import { HttpSession, ResponseChannel } from "./http-session";

export type McpEndpointOptions = {
  db: Db;
  pool: UpstreamPool;
  metrics: ProxyMetrics;
  outcomes: OutcomeWriter;
  decisions: DecisionBatcher;
  allowedOrigins: readonly string[];
  allowedHosts: readonly string[];
  upstreamTimeoutMs: number;
  approvalWaitMs: number;
  maxBodyBytes: number;
  maxJsonDepth: number;
  maxSessions: number;
  /** Live (and starting) sessions one agent may hold. */
  maxSessionsPerAgent: number;
  /** A dormant session idle this long is ended to make room for its own agent's new one. */
  reclaimAfterMs: number;
  hmacKey?: string;
  refuse: (r: RefusalAudit) => void;
};

/**
 * The Streamable HTTP side of the gateway: /mcp/<server> with POST (a message; the answer as
 * JSON, or as an event stream once the call has something to say before its answer), GET (the
 * session's stream for server messages tied to no request) and DELETE (end the session).
 * Agents authenticate with a bearer key on every request, before any MCP handling; the key is
 * never passed on.
 */
export class McpEndpoint {
  readonly sessions = new Map<string, HttpSession>();
  private starting = 0;
  /** Sessions per agent, live and starting: the per-agent cap counts both. */
  private readonly perAgent = new Map<string, number>();
  private requestSeq = 0;
  private readonly policies = new Map<string, DbPolicySource>();
  private readonly catalogs = new WeakMap<UpstreamConnection, ToolCatalog>();
  private readonly continuations = new Continuations();
  private readonly parking = new ParkedCalls();
  private readonly guard: HttpGuard;
  private readonly upstreams: UpstreamDirectory;

  constructor(private readonly o: McpEndpointOptions) {
    this.guard = new HttpGuard(o);
    this.upstreams = new UpstreamDirectory(o.db);
  }

  async handle(req: IncomingMessage, res: ServerResponse, server: string): Promise<void> {
    const remoteIp = req.socket.remoteAddress ?? null;
    this.guard.checkOrigin(req, server, remoteIp);
    const identity = this.guard.authenticate(req, server, remoteIp);
    const party: RequestParty = { server, actor: identity, remoteIp };
    const upstream = this.upstreamNamed(party);
    if (!upstream || !upstream.enabled)
      throw new HttpRefusal(
        "server_not_served",
        `No server named "${server}" is served here`,
        null,
      );

    let message: Message | null = null;
    let raw = "";
    if (req.method === "POST") {
      raw = await this.guard.readBody(req, server, identity, remoteIp);
      message = this.guard.parse(raw, server, identity, remoteIp);
    }
    const c = message ? classify(message) : null;
    const id: JsonRpcId | null = c?.kind === "request" ? c.id : null;

    if (message && c?.kind === "request") {
      const era = classifyEra(message, req.headers);
      if (typeof era === "object") throw this.modernRefusal(era, server, identity, remoteIp);
      if (era === "modern")
        return this.serveModern(req, res, upstream, identity, remoteIp, c.message, raw);
    }

    const header = req.headers["mcp-session-id"];
    const sessionId = Array.isArray(header) ? header[0] : header;
    const session = sessionId ? this.sessions.get(sessionId) : undefined;
    if (
      sessionId &&
      (!session || session.server !== server || session.agentId !== identity.agentId)
    ) {
      if (session) {
        this.o.refuse({
          cause: "unauthenticated",
          reason: "session belongs to another agent or server",
          server,
          actor: identity,
          remoteIp,
        });
      }
      throw new HttpRefusal("session_not_found", "Session not found", null, {}, id);
    }

    if (req.method === "GET") return this.openStream(req, res, session, party);
    if (req.method === "DELETE") {
      if (!session)
        throw new HttpRefusal("no_session", "Bad Request: missing or unknown mcp-session-id", null);
      await this.closeSession(session);
      res.writeHead(200).end();
      return;
    }
    if (!message || !c) throw new HttpRefusal("invalid_request", "Bad Request: no message", null);
    this.guard.checkHeaders(req, id, party);

    if (!session) {
      if (c.kind !== "request" || c.method !== "initialize")
        throw new HttpRefusal(
          "no_session",
          "Bad Request: no session; send initialize first",
          null,
          {},
          id,
        );
      const opened = await this.openSession(upstream, identity, remoteIp, id);
      res.setHeader("mcp-session-id", opened.id);
      return this.dispatch(opened, message, raw, res, id);
    }
    session.lastActivity = Date.now();
    // Refused here, before its POST takes the id's channel: the first request's answer still
    // goes to the first POST.
    if (id !== null && session.awaits(id))
      throw new HttpRefusal(
        "invalid_request",
        "Invalid request: id already in use",
        { cause: "malformed", reason: "request id already in use", ...party },
        {},
        id,
      );
    return this.dispatch(session, message, raw, res, id);
  }

  /**
   * One stateless (2026-07-28) request: identity, envelope and mirrored headers checked, then
   * decided and served over the server's shared upstream connection; its answer (or its stream
   * of progress, then the answer) is the HTTP response. Closing the response cancels the call.
   */
  private async serveModern(
    req: IncomingMessage,
    res: ServerResponse,
    upstream: Upstream,
    identity: CallIdentity,
    remoteIp: string | null,
    request: JSONRPCRequest,
    raw: string,
  ): Promise<void> {
    const envelope = checkEnvelope(request, req.headers);
    if ("kind" in envelope) throw this.modernRefusal(envelope, upstream.name, identity, remoteIp);
    const party: RequestParty = { server: upstream.name, actor: identity, remoteIp };
    this.guard.checkMedia(req, request.id, party);
    const connection = this.o.pool.sharedFor(upstream, "modern");
    try {
      await connection.ready();
    } catch (err) {
      throw this.startFailed(party, err, request.method, request.id);
    }
    const channel = new ResponseChannel(res);
    const modern: ModernRequest = new ModernRequest(
      {
        key: `r${++this.requestSeq}`,
        server: upstream.name,
        connection,
        enforcer: this.enforcerFor(upstream, connection, identity, remoteIp, null),
        metrics: this.o.metrics,
        sendDown: (m, related) => {
          const final = !("method" in m) && m.id === request.id;
          channel.send(m, final, final && "error" in m ? modernStatus(m.error.code) : 200);
          if (final) modern.close();
          else if (related === undefined) log.debug("stateless request: unrelated message dropped");
        },
        timeoutMs: () => this.timeoutFor(upstream.name, identity.agentId),
      },
      envelope,
      request,
      this.continuations,
      this.parking,
    );
    res.once("close", () => {
      if (!res.writableEnded) modern.cancel();
      modern.close();
    });
    modern.fromClient(request, raw);
  }

  private modernRefusal(
    r: ModernRefusal,
    server: string,
    actor: CallIdentity,
    remoteIp: string | null,
  ): HttpRefusal {
    return new HttpRefusal(
      r.kind,
      r.message,
      { cause: "malformed", reason: r.message, server, actor, remoteIp },
      {},
      r.id,
      r.data,
    );
  }

  private policyFor(server: string, agentId: string): DbPolicySource {
    const key = `${server}\n${agentId}`;
    let policy = this.policies.get(key);
    if (!policy) {
      if (this.policies.size >= 1_000) this.policies.clear();
      policy = new DbPolicySource(this.o.db, server, agentId);
      this.policies.set(key, policy);
    }
    return policy;
  }

  /**
   * The server's row. One whose stored configuration cannot be read (a sealed env or header
   * value that does not open with the secrets key in use) is refused and audited like an
   * upstream that does not start; the agent is not told why, the audit row and the log say.
   */
  private upstreamNamed(party: RequestParty): Upstream | null {
    try {
      return this.upstreams.byName(party.server);
    } catch (err) {
      throw this.startFailed(party, err, null, null, "its stored configuration cannot be read");
    }
  }

  /** An upstream that cannot be started: 502 to the agent, one audited refusal, a log line. */
  private startFailed(
    party: RequestParty,
    err: unknown,
    method: string | null,
    id: JsonRpcId | null,
    what = "the upstream could not be started",
  ): HttpRefusal {
    const reason = `${what}: ${(err as Error).message}`;
    this.o.metrics.upstreamErrors.labels(party.server, "connect").inc();
    log.error(`server ${party.server}: ${reason}`);
    return new HttpRefusal(
      "upstream_start_failed",
      `Upstream server ${party.server} could not be started`,
      { cause: "upstream_unavailable", reason, method, ...party },
      {},
      id,
    );
  }

  private timeoutFor(server: string, agentId: string): number {
    try {
      return (
        this.policyFor(server, agentId).current().upstream?.timeoutMs ?? this.o.upstreamTimeoutMs
      );
    } catch {
      return this.o.upstreamTimeoutMs;
    }
  }

  private enforcerFor(
    upstream: Upstream,
    connection: UpstreamConnection,
    identity: CallIdentity,
    remoteIp: string | null,
    sessionId: string | null,
  ): Enforcer {
    let catalog = this.catalogs.get(connection);
    if (!catalog) {
      catalog = new ToolCatalog();
      this.catalogs.set(connection, catalog);
    }
    return new Enforcer({
      db: this.o.db,
      server: upstream.name,
      source: "gateway",
      identity,
      policy: this.policyFor(upstream.name, identity.agentId),
      outcomes: this.o.outcomes,
      decisions: this.o.decisions,
      metrics: this.o.metrics,
      approvalWaitMs: this.o.approvalWaitMs,
      remoteIp,
      sessionId,
      catalog,
      ...(this.o.hmacKey ? { hmacKey: this.o.hmacKey } : {}),
    });
  }

  private dispatch(
    session: HttpSession,
    message: Message,
    raw: string,
    res: ServerResponse,
    id: JsonRpcId | null,
  ): void {
    if (id !== null) session.expect(id, res);
    session.client.fromClient(message, raw);
    if (id === null && !res.headersSent) res.writeHead(202).end();
  }

  private openStream(
    req: IncomingMessage,
    res: ServerResponse,
    session: HttpSession | undefined,
    party: RequestParty,
  ): void {
    this.guard.checkStreamAccept(req, party);
    if (!session)
      throw new HttpRefusal("no_session", "Bad Request: missing or unknown mcp-session-id", null);
    session.lastActivity = Date.now();
    const lastEventId = req.headers["last-event-id"];
    if (typeof lastEventId === "string" && lastEventId !== "") {
      if (!session.resume(lastEventId, res))
        throw new HttpRefusal(
          "invalid_request",
          "Bad Request: Last-Event-ID names no stream of this session (unknown or expired)",
          null,
        );
      return;
    }
    if (!session.openStream(res)) {
      res.writeHead(409, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          jsonrpc: "2.0",
          id: null,
          error: { code: -32000, message: "Conflict: Only one SSE stream is allowed per session" },
        }),
      );
    }
  }

  private async openSession(
    upstream: Upstream,
    identity: CallIdentity,
    remoteIp: string | null,
    id: JsonRpcId | null,
  ): Promise<HttpSession> {
    let full = this.fullFor(identity.agentId);
    if (full && this.reclaimFor(identity.agentId)) full = this.fullFor(identity.agentId);
    const held = this.perAgent.get(identity.agentId) ?? 0;
    if (full) {
      throw new HttpRefusal(
        "session_limit",
        `Refused: ${full}; close a session or try again later`,
        { cause: "session_limit", reason: full, server: upstream.name, actor: identity, remoteIp },
        { "retry-after": "5" },
        id,
      );
    }
    const connection = this.o.pool.connectionFor(upstream);
    this.starting += 1;
    this.perAgent.set(identity.agentId, held + 1);
    let started = false;
    try {
      await connection.ready();
      started = true;
    } catch (err) {
      await this.o.pool.release(connection);
      throw this.startFailed(
        { server: upstream.name, actor: identity, remoteIp },
        err,
        "initialize",
        id,
      );
    } finally {
      this.starting -= 1;
      if (!started) this.release(identity.agentId);
    }
    const session = new HttpSession({
      id: randomUUID(),
      server: upstream.name,
      agentId: identity.agentId,
    });
    session.connection = connection;
    session.client = new ClientSession({
      key: session.id,
      server: upstream.name,
      connection,
      enforcer: this.enforcerFor(upstream, connection, identity, remoteIp, session.id),
      metrics: this.o.metrics,
      sendDown: (m, related) => session.send(m, related),
      streamDown: (id, paused) => session.streamed(id, paused),
      endDown: (id) => session.release(id),
      timeoutMs: () => this.timeoutFor(upstream.name, identity.agentId),
    });
    session.onResume = (id) => connection.resume(session.client, id);
    if (connection.mode === "exclusive") connection.onExit = () => void this.closeSession(session);
    this.sessions.set(session.id, session);
    this.o.metrics.sessions.set(this.sessions.size);
    return session;
  }

  private fullFor(agentId: string): string | null {
    if (this.sessions.size + this.starting >= this.o.maxSessions)
      return `the gateway holds its limit of ${this.o.maxSessions} sessions`;
    if ((this.perAgent.get(agentId) ?? 0) >= this.o.maxSessionsPerAgent)
      return `this agent holds its limit of ${this.o.maxSessionsPerAgent} sessions`;
    return null;
  }

  /**
   * Ends the agent's longest-idle dormant session, if one has been idle for reclaimAfterMs:
   * clients that close without a DELETE (the SDK's close() sends none) would otherwise lock
   * their agent out until the idle sweep. Only the agent's own sessions are candidates, so no
   * agent can push another out; a client that comes back to an ended session gets 404 and, as
   * the protocol asks, starts a new one.
   */
  private reclaimFor(agentId: string): boolean {
    const cutoff = Date.now() - this.o.reclaimAfterMs;
    let oldest: HttpSession | null = null;
    for (const s of this.sessions.values()) {
      if (s.agentId !== agentId || s.closing || s.lastActivity > cutoff || !s.dormant) continue;
      if (!oldest || s.lastActivity < oldest.lastActivity) oldest = s;
    }
    if (!oldest) return false;
    log.info(
      `session ${oldest.id} (server ${oldest.server}) ended to make room for a new session of its agent: ` +
        `idle ${((Date.now() - oldest.lastActivity) / 1000).toFixed(1)} s with nothing open`,
    );
    // Its slot is free as soon as closeSession starts; the upstream stops in the background.
    void this.closeSession(oldest);
    return true;
  }

  async closeSession(session: HttpSession): Promise<void> {
    if (session.closing) return;
    session.closing = true;
    this.sessions.delete(session.id);
    this.release(session.agentId);
    this.o.metrics.sessions.set(this.sessions.size);
    session.client.close();
    session.closeStreams();
    await this.o.pool.release(session.connection).catch(() => {});
  }

  private release(agentId: string): void {
    const n = (this.perAgent.get(agentId) ?? 0) - 1;
    if (n > 0) this.perAgent.set(agentId, n);
    else this.perAgent.delete(agentId);
  }

  /** Closes sessions idle since before `cutoff`. */
  reap(cutoff: number): void {
    for (const s of this.sessions.values()) if (s.lastActivity < cutoff) void this.closeSession(s);
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => this.closeSession(s)));
  }
}
