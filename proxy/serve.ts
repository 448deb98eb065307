import { randomUUID } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

import type { Db } from "@/db/client";
import type { Upstream } from "@/db/schema";
import { AppError } from "@/lib/core/errors";
import type { GatewayEnv } from "@/lib/env";
import { readConfigVersion } from "@/lib/services/config-version";
import {
  type CallIdentity,
  describeRawMessage,
  OutcomeWriter,
  recordRefusal,
  type RefusedMessage,
} from "@/lib/services/enforcement";
import { authenticateAgentKey, loadUpstreamByName } from "@/lib/services/gateway";
import { pruneCounters } from "@/lib/services/counters";
import { Enforcer } from "./enforcer";
import { checkParsed, classify, errorResponse, JSONRPC, jsonDepth, type Message } from "./jsonrpc";
import { log } from "./log";
import { ProxyMetrics } from "./metrics";
import { DbPolicySource } from "./policy-source";
import { registerInstance } from "./runtime";
import { ProxySession } from "./session";
import { HttpLink, StdioChildLink, type UpstreamLink } from "./upstream-link";

export type GatewayOptions = {
  db: Db;
  host: string;
  port: number;
  allowedOrigins: readonly string[];
  upstreamTimeoutMs: number;
  approvalWaitMs: number;
  maxBodyBytes: number;
  maxJsonDepth: number;
  maxSessions: number;
  sessionIdleMs: number;
  hmacKey?: string;
};

export function gatewayOptions(
  db: Db,
  env: GatewayEnv,
  overrides: { host?: string; port?: number } = {},
): GatewayOptions {
  return {
    db,
    host: overrides.host ?? env.PORTCULLIS_HOST,
    port: overrides.port ?? env.PORTCULLIS_GATEWAY_PORT,
    allowedOrigins: env.PORTCULLIS_ALLOWED_ORIGINS,
    upstreamTimeoutMs: env.PORTCULLIS_UPSTREAM_TIMEOUT_MS,
    approvalWaitMs: env.PORTCULLIS_APPROVAL_WAIT_MS,
    maxBodyBytes: env.PORTCULLIS_MAX_BODY_BYTES,
    maxJsonDepth: env.PORTCULLIS_MAX_JSON_DEPTH,
    maxSessions: env.PORTCULLIS_MAX_SESSIONS,
    sessionIdleMs: env.PORTCULLIS_SESSION_IDLE_MS,
    ...(env.PORTCULLIS_AUDIT_HMAC_KEY ? { hmacKey: env.PORTCULLIS_AUDIT_HMAC_KEY } : {}),
  };
}

type GatewaySession = {
  id: string | null;
  server: string;
  agentId: string;
  transport: StreamableHTTPServerTransport;
  proxy: ProxySession;
  lastActivity: number;
  closing: boolean;
};

export type Gateway = {
  url: string;
  port: number;
  close: () => Promise<void>;
  metrics: ProxyMetrics;
};

const SERVER_PATH = /^\/mcp\/([a-z0-9][a-z0-9_-]{0,62})\/?$/;

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly body: Message,
    readonly audit: Omit<RefusedMessage, "source" | "at"> | null,
    readonly headers: Record<string, string> = {},
  ) {
    super(String((body.error as { message?: string } | undefined)?.message ?? status));
  }
}

async function readBody(req: IncomingMessage, max: number): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > max) throw new Error("oversize");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new Error("oversize");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * `portcullis serve`: one Streamable HTTP endpoint per configured upstream at /mcp/<server>,
 * each client session bound to the agent that opened it and backed by its own upstream
 * connection. Agents authenticate with a bearer key before any MCP handling; the key is never
 * passed on. Also serves /healthz and /metrics.
 */
export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  const { db } = o;
  const metrics = new ProxyMetrics();
  const outcomes = new OutcomeWriter(db, 50, (err) =>
    log.error(`could not write outcome rows: ${(err as Error).message}`),
  );
  const sessions = new Map<string, GatewaySession>();
  let starting = 0;

  const refuse = (r: Omit<RefusedMessage, "source" | "at">) => {
    metrics.refusedMessages.labels(r.cause).inc();
    try {
      recordRefusal(db, { ...r, source: "gateway", at: Date.now() });
    } catch (err) {
      metrics.storageRefusals.labels(r.server ?? "").inc();
      log.error(`could not record a refused request: ${(err as Error).message}`);
    }
  };

  const jsonRpcError = (
    status: number,
    code: number,
    message: string,
    audit: HttpRefusal["audit"],
    headers: Record<string, string> = {},
  ) => new HttpRefusal(status, errorResponse(null, code, message), audit, headers);

  function authenticate(
    req: IncomingMessage,
    server: string,
    remoteIp: string | null,
  ): CallIdentity {
    const header = req.headers.authorization ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    try {
      if (!match?.[1])
        throw new AppError("UNAUTHENTICATED", "missing", {
          reason: header ? "malformed authorization header" : "no bearer token",
        });
      const { agent, key } = authenticateAgentKey(db, match[1], new Date());
      return { agentId: agent.id, keyId: key.id, label: agent.name };
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== "UNAUTHENTICATED") throw err;
      throw jsonRpcError(
        401,
        JSONRPC.UPSTREAM_ERROR,
        "Unauthorized: a valid agent key is required (Authorization: Bearer <key>)",
        {
          cause: "unauthenticated",
          reason: String(err.details?.reason ?? "invalid key"),
          server,
          actor: null,
          remoteIp,
          detail: err.details?.keyId ? { keyId: err.details.keyId } : {},
        },
        { "www-authenticate": 'Bearer realm="portcullis"' },
      );
    }
  }

  function upstreamLink(upstream: Upstream): UpstreamLink {
    if (upstream.transport === "http" && upstream.url)
      return new HttpLink(upstream.url, upstream.headers);
    if (upstream.transport === "stdio" && upstream.command) {
      return new StdioChildLink({
        command: upstream.command,
        args: upstream.args,
        env: upstream.env,
        cwd: upstream.cwd,
      });
    }
    throw new Error(`server ${upstream.name} has no usable ${upstream.transport} configuration`);
  }

  async function openSession(
    upstream: Upstream,
    identity: CallIdentity,
    remoteIp: string | null,
  ): Promise<GatewaySession> {
    const link = upstreamLink(upstream);
    const policy = new DbPolicySource(db, upstream.name, identity.agentId);
    const entry = {
      id: null,
      server: upstream.name,
      agentId: identity.agentId,
      lastActivity: Date.now(),
      closing: false,
    } as unknown as GatewaySession;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        entry.id = id;
        sessions.set(id, entry);
        metrics.sessions.set(sessions.size);
      },
      onsessionclosed: () => void closeSession(entry),
    });
    const enforcer = new Enforcer({
      db,
      server: upstream.name,
      source: "gateway",
      identity,
      policy,
      outcomes,
      metrics,
      approvalWaitMs: o.approvalWaitMs,
      remoteIp,
      ...(o.hmacKey ? { hmacKey: o.hmacKey } : {}),
      get sessionId() {
        return entry.id;
      },
    });
    const proxy = new ProxySession({
      server: upstream.name,
      upstream: link,
      enforcer,
      metrics,
      sendDown: (m, related) => {
        transport
          .send(
            m as unknown as JSONRPCMessage,
            related !== undefined ? { relatedRequestId: related } : undefined,
          )
          .catch((err: unknown) =>
            log.debug(`session ${entry.id}: send failed: ${(err as Error).message}`),
          );
      },
      timeoutMs: () => {
        try {
          return policy.current().upstream?.timeoutMs ?? o.upstreamTimeoutMs;
        } catch {
          return o.upstreamTimeoutMs;
        }
      },
      onUpstreamClosed: () => void closeSession(entry),
    });
    transport.onmessage = (m) => {
      entry.lastActivity = Date.now();
      proxy.fromClient(m as unknown as Message);
    };
    transport.onclose = () => void closeSession(entry);
    entry.transport = transport;
    entry.proxy = proxy;
    await link.start();
    return entry;
  }

  async function closeSession(s: GatewaySession): Promise<void> {
    if (s.closing) return;
    s.closing = true;
    if (s.id) sessions.delete(s.id);
    metrics.sessions.set(sessions.size);
    await s.proxy.close().catch(() => {});
    await s.transport.close().catch(() => {});
  }

  async function handleMcp(
    req: IncomingMessage,
    res: ServerResponse,
    server: string,
  ): Promise<void> {
    const remoteIp = req.socket.remoteAddress ?? null;
    const origin = req.headers.origin;
    if (origin !== undefined && !o.allowedOrigins.includes(origin)) {
      throw jsonRpcError(
        403,
        JSONRPC.UPSTREAM_ERROR,
        "Forbidden: this Origin may not call the gateway",
        {
          cause: "unauthenticated",
          reason: "foreign Origin",
          server,
          actor: null,
          remoteIp,
          detail: { origin: origin.slice(0, 200) },
        },
      );
    }
    const identity = authenticate(req, server, remoteIp);
    const upstream = loadUpstreamByName(db, server);
    if (!upstream || !upstream.enabled) {
      throw jsonRpcError(
        404,
        JSONRPC.METHOD_NOT_FOUND,
        `No server named "${server}" is served here`,
        null,
      );
    }
    const sessionHeader = req.headers["mcp-session-id"];
    const sessionId = Array.isArray(sessionHeader) ? sessionHeader[0] : sessionHeader;
    let session = sessionId ? sessions.get(sessionId) : undefined;
    if (
      sessionId &&
      (!session || session.server !== server || session.agentId !== identity.agentId)
    ) {
      if (session) {
        refuse({
          cause: "unauthenticated",
          reason: "session belongs to another agent or server",
          server,
          actor: identity,
          remoteIp,
        });
      }
      throw jsonRpcError(404, JSONRPC.REQUEST_TIMEOUT, "Session not found", null);
    }

    let parsed: Message | undefined;
    if (req.method === "POST") {
      let text: string;
      try {
        text = await readBody(req, o.maxBodyBytes);
      } catch {
        throw jsonRpcError(
          413,
          JSONRPC.INVALID_REQUEST,
          `Refused: body exceeds ${o.maxBodyBytes} bytes`,
          {
            cause: "oversize",
            reason: `body exceeds ${o.maxBodyBytes} bytes`,
            server,
            actor: identity,
            remoteIp,
          },
        );
      }
      const malformed = (cause: RefusedMessage["cause"], reason: string, code: number) =>
        jsonRpcError(400, code, `Refused: ${reason}`, {
          cause,
          reason,
          server,
          actor: identity,
          remoteIp,
          detail: { message: describeRawMessage(text, o.hmacKey) },
        });
      if (jsonDepth(text) > o.maxJsonDepth)
        throw malformed(
          "malformed",
          `JSON nested deeper than ${o.maxJsonDepth}`,
          JSONRPC.PARSE_ERROR,
        );
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw malformed("malformed", "not valid JSON", JSONRPC.PARSE_ERROR);
      }
      const frame = checkParsed(value);
      if (!frame.ok)
        throw malformed(
          frame.cause,
          frame.reason,
          frame.cause === "batch" ? JSONRPC.INVALID_REQUEST : JSONRPC.PARSE_ERROR,
        );
      const c = classify(frame.message);
      if (c.kind === "invalid") throw malformed("malformed", c.reason, JSONRPC.INVALID_REQUEST);
      parsed = frame.message;
      if (!session) {
        if (c.kind !== "request" || c.method !== "initialize") {
          throw jsonRpcError(
            400,
            JSONRPC.INVALID_REQUEST,
            "Bad Request: no session; send initialize first",
            null,
          );
        }
        if (sessions.size + starting >= o.maxSessions) {
          throw jsonRpcError(
            503,
            JSONRPC.UPSTREAM_ERROR,
            "The gateway is at its session limit; try again later",
            null,
            { "retry-after": "5" },
          );
        }
        starting += 1;
        try {
          session = await openSession(upstream, identity, remoteIp);
        } catch (err) {
          metrics.upstreamErrors.labels(server, "connect").inc();
          log.error(`server ${server}: cannot start the upstream: ${(err as Error).message}`);
          throw jsonRpcError(
            502,
            JSONRPC.UPSTREAM_ERROR,
            `Upstream server ${server} could not be started`,
            null,
          );
        } finally {
          starting -= 1;
        }
      }
    } else if (!session) {
      throw jsonRpcError(
        400,
        JSONRPC.INVALID_REQUEST,
        "Bad Request: missing or unknown mcp-session-id",
        null,
      );
    }
    session.lastActivity = Date.now();
    // The agent's credential stays here: upstream links never see the inbound headers.
    await session.transport.handleRequest(req, res, parsed);
  }

  function healthz(res: ServerResponse): void {
    let body: Record<string, unknown>;
    let status = 200;
    try {
      db.$client.prepare("SELECT 1").get();
      body = {
        status: "ok",
        database: "ok",
        configVersion: readConfigVersion(db),
        sessions: sessions.size,
      };
    } catch (err) {
      status = 503;
      body = { status: "error", database: (err as Error).message };
    }
    send(res, status, body);
  }

  const httpServer = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://gateway");
    void (async () => {
      try {
        if (url.pathname === "/healthz" && req.method === "GET") return healthz(res);
        if (url.pathname === "/metrics" && req.method === "GET") {
          res.writeHead(200, { "content-type": metrics.registry.contentType });
          res.end(await metrics.registry.metrics());
          return;
        }
        const m = SERVER_PATH.exec(url.pathname);
        if (!m?.[1]) return send(res, 404, { error: "not found" });
        if (req.method !== "POST" && req.method !== "GET" && req.method !== "DELETE") {
          res.setHeader("allow", "GET, POST, DELETE");
          return send(
            res,
            405,
            errorResponse(null, JSONRPC.METHOD_NOT_FOUND, "Method not allowed"),
          );
        }
        await handleMcp(req, res, m[1]);
      } catch (err) {
        if (err instanceof HttpRefusal) {
          if (err.audit) refuse(err.audit);
          if (!res.headersSent) send(res, err.status, err.body, err.headers);
          return;
        }
        log.error(`gateway: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent)
          send(res, 500, errorResponse(null, JSONRPC.INTERNAL_ERROR, "Internal error"));
      }
    })();
  });
  httpServer.headersTimeout = 30_000;
  httpServer.requestTimeout = 0;

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(o.port, o.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const hostPart = o.host.includes(":") ? `[${o.host}]` : o.host;
  const url = `http://${hostPart}:${port}`;
  const instance = registerInstance(db, { kind: "gateway", server: null, address: url });

  const reaper = setInterval(
    () => {
      const cutoff = Date.now() - o.sessionIdleMs;
      for (const s of sessions.values()) if (s.lastActivity < cutoff) void closeSession(s);
      try {
        pruneCounters(db, Date.now());
      } catch {
        // pruning is housekeeping; the next sweep retries
      }
    },
    Math.min(30_000, Math.max(1_000, Math.floor(o.sessionIdleMs / 4))),
  );
  reaper.unref();

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(reaper);
      const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await Promise.all([...sessions.values()].map((s) => closeSession(s)));
      httpServer.closeAllConnections();
      await stopped;
      outcomes.close();
      instance.stop();
    })());

  return { url, port, close, metrics };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}
