import { createHash, timingSafeEqual } from "node:crypto";
import http, { type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import type { Db } from "@/db/client";
import type { GatewayEnv } from "@/lib/env";
import {
  type AuditIntegritySettings,
  integritySettings,
  startAuditMaintenance,
} from "@/lib/services/audit/maintenance";
import { readConfigVersion } from "@/lib/services/config-version";
import { isInMemory, pingDatabase, startCheckpointer } from "@/lib/services/database";
import { pruneCounterKeys } from "@/lib/services/counters";
import { DecisionBatcher, OutcomeWriter, recordRefusal } from "@/lib/services/enforcement";
import { recordUpstreamLifecycle } from "@/lib/services/upstreams";
import { log } from "./log";
import { ProxyMetrics } from "./metrics";
import { errorReply } from "./replies";
import { registerInstance } from "./runtime";
import { McpEndpoint } from "./transports/http";
import { HttpRefusal, type RefusalAudit, sendJson } from "./transports/http-refusal";
import type { UpstreamLink } from "./upstream/links";
import { UpstreamPool } from "./upstream/pool";
import type { Upstream } from "@/db/schema";

export type GatewayOptions = {
  db: Db;
  host: string;
  port: number;
  allowedOrigins: readonly string[];
  /** Host names besides loopback and the bind address that requests may name (DNS rebinding). */
  allowedHosts?: readonly string[];
  upstreamTimeoutMs: number;
  approvalWaitMs: number;
  maxBodyBytes: number;
  maxJsonDepth: number;
  maxSessions: number;
  /** Live sessions one agent may hold (default: all of maxSessions). */
  maxSessionsPerAgent?: number;
  sessionIdleMs: number;
  /**
   * At a session limit, an agent's own session with nothing open (no request in flight, no GET
   * stream) and idle this long is ended to admit its new one (default 30 s).
   */
  sessionReclaimMs?: number;
  /** A shared upstream with no traffic for this long is stopped (default: sessionIdleMs). */
  upstreamIdleMs?: number;
  hmacKey?: string;
  /** When set, /metrics requires `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  /** Replaces how upstream links are made (tests use in-memory servers). */
  linkFor?: (upstream: Upstream) => UpstreamLink;
  /**
   * Scheduled checkpoints, so a gateway without a console keeps its log sealed (several
   * processes may write them). Null: left to the console or to cron.
   */
  auditMaintenance?: { settings: AuditIntegritySettings; everyMs?: number } | null;
};

/** Rows per step of the gateway's background audit work: an eighth of the console's step. */
const GATEWAY_STEP_ROWS = 250;
/** Counter keys pruned per sweep (a sweep runs every few seconds to 30 s). */
const PRUNE_KEYS_PER_SWEEP = 500;

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
    allowedHosts: env.PORTCULLIS_ALLOWED_HOSTS,
    upstreamTimeoutMs: env.PORTCULLIS_UPSTREAM_TIMEOUT_MS,
    approvalWaitMs: env.PORTCULLIS_APPROVAL_WAIT_MS,
    maxBodyBytes: env.PORTCULLIS_MAX_BODY_BYTES,
    maxJsonDepth: env.PORTCULLIS_MAX_JSON_DEPTH,
    maxSessions: env.PORTCULLIS_MAX_SESSIONS,
    maxSessionsPerAgent: env.PORTCULLIS_MAX_SESSIONS_PER_AGENT,
    sessionIdleMs: env.PORTCULLIS_SESSION_IDLE_MS,
    sessionReclaimMs: env.PORTCULLIS_SESSION_RECLAIM_MS,
    upstreamIdleMs: env.PORTCULLIS_UPSTREAM_IDLE_MS,
    ...(env.PORTCULLIS_AUDIT_HMAC_KEY ? { hmacKey: env.PORTCULLIS_AUDIT_HMAC_KEY } : {}),
    ...(env.PORTCULLIS_METRICS_TOKEN ? { metricsToken: env.PORTCULLIS_METRICS_TOKEN } : {}),
    auditMaintenance:
      env.PORTCULLIS_AUDIT_MAINTENANCE === "1"
        ? {
            // Retention stays with the console and `portcullis audit retain`: writing and
            // re-reading an archive holds the event loop far longer than a checkpoint does.
            settings: { ...integritySettings(env), retentionDays: 0, stepRows: GATEWAY_STEP_ROWS },
          }
        : null,
  };
}

export type Gateway = {
  url: string;
  port: number;
  close: () => Promise<void>;
  metrics: ProxyMetrics;
  pool: UpstreamPool;
};

const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "::1", "[::1]"];

/**
 * The names the gateway answers to: loopback, its bind address (an IPv6 one as it appears in a
 * Host header, in brackets) and the configured extra names. The console's list is built the same
 * way (scripts/lib/host-guard.mjs).
 */
export function gatewayHosts(bind: string, extra: readonly string[]): string[] {
  const b = bind.toLowerCase();
  return [...LOOPBACK_HOSTS, b, ...(b.includes(":") ? [`[${b}]`] : []), ...extra];
}

const SERVER_PATH = /^\/mcp\/([a-z0-9][a-z0-9_-]{0,62})\/?$/;

/**
 * `portcullis serve`: one Streamable HTTP endpoint per configured upstream at /mcp/<server>,
 * each upstream shared by every client session (or one per session where configured), plus
 * /healthz and /metrics.
 */
export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  const { db } = o;
  const metrics = new ProxyMetrics();
  const checkpointer = startCheckpointer(db);
  const outcomes = new OutcomeWriter(db, 50, (err) =>
    log.error(`could not write outcome rows: ${(err as Error).message}`),
  );
  const refuse = (r: RefusalAudit) => {
    metrics.refusedMessages.labels(r.cause).inc();
    try {
      recordRefusal(db, { ...r, source: "gateway", at: Date.now() });
    } catch (err) {
      metrics.storageRefusals.labels(r.server ?? "").inc();
      log.error(`could not record a refused request: ${(err as Error).message}`);
    }
  };
  const pool = new UpstreamPool({
    idleMs: o.upstreamIdleMs ?? o.sessionIdleMs,
    ...(o.linkFor ? { linkFor: o.linkFor } : {}),
    onLifecycle: (upstream, event) => {
      if (event.kind === "crashed") {
        metrics.upstreamErrors.labels(upstream.name, "exit").inc();
        log.warn(`server ${upstream.name}: upstream ${event.reason}; restarting on demand`);
      } else log.info(`server ${upstream.name}: upstream ${event.kind.replace("_", " ")}`);
      try {
        recordUpstreamLifecycle(db, {
          server: upstream.name,
          upstreamId: upstream.id,
          event: event.kind,
          source: "gateway",
          detail:
            event.kind === "crashed"
              ? { reason: event.reason, inFlight: event.inFlight }
              : event.kind === "restarted"
                ? { attempt: event.attempt }
                : {},
          at: Date.now(),
        });
      } catch (err) {
        log.error(`could not record an upstream ${event.kind}: ${(err as Error).message}`);
      }
    },
  });
  const endpoint = new McpEndpoint({
    db,
    pool,
    metrics,
    outcomes,
    decisions: new DecisionBatcher(db),
    allowedOrigins: o.allowedOrigins,
    allowedHosts: gatewayHosts(o.host, o.allowedHosts ?? []),
    upstreamTimeoutMs: o.upstreamTimeoutMs,
    approvalWaitMs: o.approvalWaitMs,
    maxBodyBytes: o.maxBodyBytes,
    maxJsonDepth: o.maxJsonDepth,
    maxSessions: o.maxSessions,
    maxSessionsPerAgent: Math.min(o.maxSessions, o.maxSessionsPerAgent ?? o.maxSessions),
    reclaimAfterMs: o.sessionReclaimMs ?? 30_000,
    refuse,
    ...(o.hmacKey ? { hmacKey: o.hmacKey } : {}),
  });

  function healthz(res: ServerResponse): void {
    try {
      pingDatabase(db);
      sendJson(res, 200, {
        status: "ok",
        database: "ok",
        configVersion: readConfigVersion(db),
        sessions: endpoint.sessions.size,
        upstreams: pool.running,
      });
    } catch (err) {
      sendJson(res, 503, { status: "error", database: (err as Error).message });
    }
  }

  const httpServer = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://gateway");
    void (async () => {
      try {
        if (url.pathname === "/healthz" && req.method === "GET") return healthz(res);
        if (url.pathname === "/metrics" && req.method === "GET") {
          if (!bearerMatches(req.headers.authorization, o.metricsToken))
            return sendJson(
              res,
              401,
              { error: "a metrics token is required" },
              {
                "www-authenticate": 'Bearer realm="portcullis-metrics"',
              },
            );
          res.writeHead(200, { "content-type": metrics.registry.contentType });
          res.end(await metrics.registry.metrics());
          return;
        }
        const m = SERVER_PATH.exec(url.pathname);
        if (!m?.[1]) return sendJson(res, 404, { error: "not found" });
        if (req.method !== "POST" && req.method !== "GET" && req.method !== "DELETE") {
          throw new HttpRefusal("http_method_not_allowed", "Method not allowed", null, {
            allow: "GET, POST, DELETE",
          });
        }
        await endpoint.handle(req, res, m[1]);
      } catch (err) {
        if (err instanceof HttpRefusal) {
          if (err.audit) refuse(err.audit);
          if (!res.headersSent) sendJson(res, err.status, err.body, err.headers);
          return;
        }
        log.error(`gateway: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent) sendJson(res, 500, errorReply("internal", null, "Internal error"));
      }
    })();
  });
  httpServer.headersTimeout = 30_000;
  httpServer.requestTimeout = 0;
  httpServer.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(o.port, o.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const hostPart = o.host.includes(":") ? `[${o.host}]` : o.host;
  const url = `http://${hostPart}:${port}`;
  const instance = registerInstance(db, { kind: "gateway", server: null, address: url });

  // Counter rows are pruned key by key, a bounded step per sweep, so the write lock is never
  // held for a walk over every key at once.
  let pruneFrom: string | null = null;
  const reaper = setInterval(
    () => {
      endpoint.reap(Date.now() - o.sessionIdleMs);
      try {
        pruneFrom = pruneCounterKeys(db, Date.now(), pruneFrom, PRUNE_KEYS_PER_SWEEP).next;
      } catch {
        // pruning is housekeeping; the next sweep retries
      }
    },
    Math.min(30_000, Math.max(1_000, Math.floor(o.sessionIdleMs / 4))),
  );
  reaper.unref();
  const maintenance =
    o.auditMaintenance && !isInMemory(db)
      ? startAuditMaintenance(
          db,
          o.auditMaintenance.settings,
          (level, message) => log[level](message),
          o.auditMaintenance.everyMs,
        )
      : null;

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(reaper);
      await maintenance?.stop();
      const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await endpoint.close();
      await pool.close();
      httpServer.closeAllConnections();
      await stopped;
      outcomes.close();
      instance.stop();
      await checkpointer.stop();
    })());

  return { url, port, close, metrics, pool };
}

/** True when no token is configured, or the header carries it (compared in constant time). */
function bearerMatches(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
  if (!given) return false;
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}
