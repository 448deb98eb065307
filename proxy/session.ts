import type { ListedTool } from "@/lib/services/inventory";
import type { Enforcer } from "./enforcer";
import {
  classify,
  errorResponse,
  idKey,
  JSONRPC,
  type JsonRpcId,
  type Message,
  resultResponse,
} from "./jsonrpc";
import { log } from "./log";
import type { ProxyMetrics } from "./metrics";
import type { LinkClosed, UpstreamLink } from "./upstream-link";

/** Client → server requests forwarded unchanged. Everything not here and not tools/call is refused. */
export const PASS_THROUGH_REQUESTS = new Set([
  "initialize",
  "ping",
  "tools/list",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "prompts/list",
  "prompts/get",
  "completion/complete",
  "logging/setLevel",
  "tasks/get",
  "tasks/list",
  "tasks/result",
  "tasks/cancel",
]);

export const PASS_THROUGH_NOTIFICATIONS = new Set([
  "notifications/initialized",
  "notifications/cancelled",
  "notifications/progress",
  "notifications/roots/list_changed",
]);

type PendingCall = { decisionId: string; tool: string; timer: NodeJS.Timeout; cancelled: boolean };
type Pending = { id: JsonRpcId; method: string; startedAt: number; call?: PendingCall };

export type SessionOptions = {
  server: string;
  upstream: UpstreamLink;
  enforcer: Enforcer;
  metrics: ProxyMetrics;
  /** Sends a message to the client. `related` names the client request it belongs to, if any. */
  sendDown: (message: Message, related?: JsonRpcId) => void;
  timeoutMs: () => number;
  onUpstreamClosed?: (info: LinkClosed) => void;
};

const INTERNAL_PREFIX = "portcullis-internal-";
const INVENTORY_TIMEOUT_MS = 10_000;

/**
 * Routes one client session's JSON-RPC traffic to and from its upstream. Only tools/call is
 * decided and tools/list filtered; other known methods, notifications and server-to-client
 * requests pass through unchanged; unknown methods are refused. Message objects are forwarded
 * as parsed, so what goes upstream is a re-serialization of exactly what was evaluated.
 */
export class ProxySession {
  private readonly pending = new Map<string, Pending>();
  private readonly deciding = new Map<string, AbortController>();
  private readonly serverRequests = new Set<string>();
  private readonly internal = new Map<string, (m: Message | null) => void>();
  private internalSeq = 0;
  private toolsCapability = true;
  private inventoryPrimed: Promise<void> | null = null;
  private upstreamClosed: LinkClosed | null = null;
  private closed = false;

  constructor(private readonly o: SessionOptions) {
    o.upstream.onmessage = (m) => this.fromUpstream(m);
    o.upstream.onclose = (info) => this.onUpstreamClose(info);
  }

  /** Resolves once no client request is being decided or waiting for the upstream (or after `maxMs`). */
  async drained(maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (
      (this.pending.size > 0 || this.deciding.size > 0) &&
      !this.upstreamClosed &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  get isUpstreamClosed(): boolean {
    return this.upstreamClosed !== null;
  }

  /** Handles one framed client message (an object; batches were refused before this). */
  fromClient(msg: Message, raw?: string): void {
    const c = classify(msg);
    const e = this.o.enforcer;
    switch (c.kind) {
      case "invalid":
        e.refuse({ cause: "malformed", reason: c.reason }, raw ?? JSON.stringify(msg));
        if (c.id !== null)
          this.down(errorResponse(c.id, JSONRPC.INVALID_REQUEST, `Invalid request: ${c.reason}`));
        return;
      case "response": {
        const key = idKey(c.id);
        if (!this.serverRequests.delete(key)) {
          log.debug(
            `server ${this.o.server}: dropped a client response to an unknown request ${String(c.id)}`,
          );
          return;
        }
        this.o.metrics.passedMessages.labels("client", "response").inc();
        this.up(msg);
        return;
      }
      case "notification":
        if (!PASS_THROUGH_NOTIFICATIONS.has(c.method)) {
          e.refuse({
            cause: "unknown_method",
            reason: `notification ${c.method} is not forwarded`,
            method: c.method,
          });
          return;
        }
        if (c.method === "notifications/cancelled") this.onCancelled(c.params);
        this.o.metrics.passedMessages.labels("client", "notification").inc();
        this.up(msg);
        return;
      case "request":
        if (this.pending.has(idKey(c.id)) || this.deciding.has(idKey(c.id))) {
          e.refuse({ cause: "malformed", reason: "request id already in use", method: c.method });
          this.down(
            errorResponse(c.id, JSONRPC.INVALID_REQUEST, "Invalid request: id already in use"),
          );
          return;
        }
        if (c.method === "tools/call") {
          void this.toolCall(msg, c.id, c.params);
          return;
        }
        if (!PASS_THROUGH_REQUESTS.has(c.method)) {
          e.refuse({
            cause: "unknown_method",
            reason: `method ${c.method} is not supported`,
            method: c.method,
          });
          this.down(errorResponse(c.id, JSONRPC.METHOD_NOT_FOUND, `Method not found: ${c.method}`));
          return;
        }
        this.o.metrics.passedMessages.labels("client", "request").inc();
        this.forward(msg, c.id, c.method);
        return;
    }
  }

  private forward(msg: Message, id: JsonRpcId, method: string, call?: PendingCall): void {
    if (this.upstreamClosed) {
      if (call) clearTimeout(call.timer);
      this.down(
        errorResponse(
          id,
          JSONRPC.UPSTREAM_ERROR,
          `Upstream server ${this.o.server} is not running (${this.upstreamClosed.reason})`,
        ),
      );
      if (call)
        this.o.enforcer.outcome(
          call.decisionId,
          call.tool,
          "upstream_error",
          0,
          null,
          this.upstreamClosed.reason,
        );
      return;
    }
    const entry: Pending = { id, method, startedAt: performance.now(), ...(call ? { call } : {}) };
    this.pending.set(idKey(id), entry);
    this.o.upstream.send(msg).catch((err: unknown) => {
      if (this.pending.get(idKey(id)) !== entry) return;
      this.pending.delete(idKey(id));
      const why = (err as Error).message;
      this.o.metrics.upstreamErrors.labels(this.o.server, "send").inc();
      this.down(
        errorResponse(
          id,
          JSONRPC.UPSTREAM_ERROR,
          `Upstream server ${this.o.server} unavailable: ${why}`,
        ),
      );
      if (call) {
        clearTimeout(call.timer);
        this.o.enforcer.outcome(
          call.decisionId,
          call.tool,
          "upstream_error",
          performance.now() - entry.startedAt,
          null,
          why,
        );
      }
    });
  }

  private async toolCall(msg: Message, id: JsonRpcId, params: unknown): Promise<void> {
    const e = this.o.enforcer;
    const p = params as Record<string, unknown> | undefined;
    const name = p?.name;
    const args = p?.arguments;
    if (!p || typeof name !== "string" || name.length === 0 || name.length > 256) {
      e.refuse({
        cause: "malformed",
        reason: "tools/call needs params.name (a string)",
        method: "tools/call",
      });
      this.down(
        errorResponse(id, JSONRPC.INVALID_PARAMS, "Invalid params: tools/call needs a tool name"),
      );
      return;
    }
    if (args !== undefined && (args === null || typeof args !== "object" || Array.isArray(args))) {
      e.refuse({
        cause: "malformed",
        reason: "tools/call arguments must be a JSON object",
        method: "tools/call",
        tool: name,
      });
      this.down(
        errorResponse(
          id,
          JSONRPC.INVALID_PARAMS,
          "Invalid params: arguments must be a JSON object",
        ),
      );
      return;
    }
    const key = idKey(id);
    const abort = new AbortController();
    this.deciding.set(key, abort);
    try {
      if (this.toolsCapability && !e.hasListing) await this.primeInventory();
      const meta = p._meta as Record<string, unknown> | undefined;
      const token = meta?.progressToken;
      // Frozen so nothing between the decision and the write can alter what was evaluated.
      const evaluated = deepFreeze((args ?? {}) as Record<string, unknown>);
      const action = await e.decide(
        {
          id,
          tool: name,
          arguments: evaluated,
          ...(typeof token === "string" || typeof token === "number"
            ? { progressToken: token }
            : {}),
        },
        (m) => this.down(m, id),
        abort.signal,
      );
      if (abort.signal.aborted || this.closed) {
        if (action.kind === "forward")
          e.outcome(
            action.decisionId,
            name,
            "upstream_error",
            0,
            null,
            "cancelled by the client before forwarding",
          );
        return;
      }
      if (action.kind === "silent") return;
      if (action.kind === "reply") {
        this.down(resultResponse(id, action.result));
        return;
      }
      const timeoutMs = this.o.timeoutMs();
      const call: PendingCall = {
        decisionId: action.decisionId,
        tool: name,
        cancelled: false,
        timer: setTimeout(() => this.onTimeout(id, timeoutMs), timeoutMs),
      };
      this.forward(msg, id, "tools/call", call);
    } finally {
      this.deciding.delete(key);
    }
  }

  private onTimeout(id: JsonRpcId, timeoutMs: number): void {
    const entry = this.pending.get(idKey(id));
    if (!entry?.call) return;
    this.pending.delete(idKey(id));
    this.o.metrics.upstreamErrors.labels(this.o.server, "timeout").inc();
    this.up({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: id, reason: "timed out in the gateway" },
    });
    this.o.enforcer.outcome(
      entry.call.decisionId,
      entry.call.tool,
      "timeout",
      performance.now() - entry.startedAt,
      null,
      `no answer within ${timeoutMs} ms`,
    );
    if (!entry.call.cancelled) {
      this.down(
        errorResponse(
          id,
          JSONRPC.REQUEST_TIMEOUT,
          `Upstream server ${this.o.server} did not answer within ${timeoutMs} ms`,
          {
            decisionId: entry.call.decisionId,
          },
        ),
      );
    }
  }

  private onCancelled(params: unknown): void {
    const requestId = (params as { requestId?: unknown } | undefined)?.requestId;
    if (typeof requestId !== "string" && typeof requestId !== "number") return;
    this.deciding.get(idKey(requestId))?.abort();
    const entry = this.pending.get(idKey(requestId));
    if (entry?.call) entry.call.cancelled = true;
  }

  private fromUpstream(msg: Message): void {
    const c = classify(msg);
    if (c.kind === "response") {
      const key = idKey(c.id);
      const internal = this.internal.get(key);
      if (internal) {
        this.internal.delete(key);
        internal(msg);
        return;
      }
      const entry = this.pending.get(key);
      if (!entry) {
        log.debug(
          `server ${this.o.server}: dropped a response to an unknown request ${String(c.id)}`,
        );
        return;
      }
      this.pending.delete(key);
      this.onResponse(entry, msg);
      return;
    }
    if (c.kind === "request") {
      this.serverRequests.add(idKey(c.id));
      this.o.metrics.passedMessages.labels("server", "request").inc();
      this.down(msg, this.soleOpenRequest());
      return;
    }
    if (c.kind === "notification") {
      this.o.metrics.passedMessages.labels("server", "notification").inc();
      this.down(msg, this.relatedForNotification(msg));
      return;
    }
    log.debug(`server ${this.o.server}: dropped an invalid upstream message (${c.reason})`);
  }

  private onResponse(entry: Pending, msg: Message): void {
    const elapsed = performance.now() - entry.startedAt;
    if (entry.method === "initialize") this.onInitialized(msg);
    if (entry.call) {
      clearTimeout(entry.call.timer);
      const { decisionId, tool } = entry.call;
      const bytes = Buffer.byteLength(JSON.stringify(msg.result ?? msg.error ?? null));
      const result = msg.result as { isError?: unknown } | undefined;
      if (msg.error !== undefined) {
        this.o.metrics.upstreamErrors.labels(this.o.server, "jsonrpc_error").inc();
        const err = msg.error as { code?: unknown; message?: unknown };
        this.o.enforcer.outcome(
          decisionId,
          tool,
          "jsonrpc_error",
          elapsed,
          bytes,
          `${String(err.code)} ${String(err.message)}`,
        );
      } else {
        this.o.enforcer.outcome(
          decisionId,
          tool,
          result?.isError === true ? "is_error" : "success",
          elapsed,
          bytes,
        );
      }
      this.o.metrics.callLatency.labels(this.o.server).observe(elapsed / 1000);
      if (entry.call.cancelled) return;
      this.down(msg, entry.id);
      return;
    }
    if (entry.method === "tools/list" && msg.result && typeof msg.result === "object") {
      this.down(this.filterListing(entry.id, msg), entry.id);
      return;
    }
    this.o.metrics.passedMessages.labels("server", "response").inc();
    this.down(msg, entry.id);
  }

  private filterListing(id: JsonRpcId, msg: Message): Message {
    const result = msg.result as Record<string, unknown>;
    const tools = Array.isArray(result.tools) ? (result.tools as unknown[]) : [];
    const valid = tools.filter(
      (t): t is ListedTool =>
        t !== null && typeof t === "object" && typeof (t as { name?: unknown }).name === "string",
    );
    try {
      const visible = this.o.enforcer.filterToolList(valid);
      return { ...msg, result: { ...result, tools: visible } };
    } catch (err) {
      this.o.metrics.storageRefusals.labels(this.o.server).inc();
      log.error(
        `server ${this.o.server}: tools/list could not be checked (${(err as Error).message}); refused`,
      );
      return errorResponse(
        id,
        JSONRPC.INTERNAL_ERROR,
        "The tool list could not be checked against the policy",
      );
    }
  }

  private onInitialized(msg: Message): void {
    const result = msg.result as
      { protocolVersion?: unknown; capabilities?: { tools?: unknown } } | undefined;
    if (!result) return;
    if (typeof result.protocolVersion === "string")
      this.o.upstream.setProtocolVersion?.(result.protocolVersion);
    this.toolsCapability = result.capabilities?.tools !== undefined;
  }

  /** Lists the upstream's tools once before the first call, so pinning applies even to clients that never list. */
  private primeInventory(): Promise<void> {
    this.inventoryPrimed ??= (async () => {
      let cursor: unknown;
      const all: ListedTool[] = [];
      for (let page = 0; page < 20; page++) {
        const res = await this.internalRequest(
          "tools/list",
          cursor === undefined ? {} : { cursor },
        );
        const result = res?.result as { tools?: unknown; nextCursor?: unknown } | undefined;
        if (!result || !Array.isArray(result.tools)) return;
        for (const t of result.tools) {
          if (t && typeof t === "object" && typeof (t as { name?: unknown }).name === "string")
            all.push(t as ListedTool);
        }
        if (typeof result.nextCursor !== "string") break;
        cursor = result.nextCursor;
      }
      try {
        this.o.enforcer.filterToolList(all);
      } catch (err) {
        log.warn(`server ${this.o.server}: inventory check failed: ${(err as Error).message}`);
      }
    })().catch((err: unknown) =>
      log.warn(`server ${this.o.server}: could not list tools: ${(err as Error).message}`),
    );
    return this.inventoryPrimed;
  }

  private internalRequest(
    method: string,
    params: Record<string, unknown>,
  ): Promise<Message | null> {
    const id = `${INTERNAL_PREFIX}${++this.internalSeq}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.internal.delete(idKey(id));
        resolve(null);
      }, INVENTORY_TIMEOUT_MS);
      this.internal.set(idKey(id), (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.o.upstream.send({ jsonrpc: "2.0", id, method, params }).catch(() => {
        clearTimeout(timer);
        this.internal.delete(idKey(id));
        resolve(null);
      });
    });
  }

  /** Server-initiated messages go on the stream of the one open client request, if exactly one is open. */
  private soleOpenRequest(): JsonRpcId | undefined {
    if (this.pending.size !== 1) return undefined;
    return this.pending.values().next().value?.id;
  }

  private relatedForNotification(msg: Message): JsonRpcId | undefined {
    if (msg.method === "notifications/progress") {
      const token = (msg.params as { progressToken?: unknown } | undefined)?.progressToken;
      for (const p of this.pending.values()) if (p.id === token) return p.id;
    }
    return this.soleOpenRequest();
  }

  private onUpstreamClose(info: LinkClosed): void {
    if (this.upstreamClosed) return;
    this.upstreamClosed = info;
    if (!this.closed) {
      this.o.metrics.upstreamErrors.labels(this.o.server, "exit").inc();
      log.warn(`server ${this.o.server}: upstream ${info.reason}`);
    }
    for (const resolve of this.internal.values()) resolve(null);
    this.internal.clear();
    for (const entry of this.pending.values()) {
      if (entry.call) {
        clearTimeout(entry.call.timer);
        this.o.enforcer.outcome(
          entry.call.decisionId,
          entry.call.tool,
          "upstream_error",
          performance.now() - entry.startedAt,
          null,
          info.reason,
        );
      }
      this.down(
        errorResponse(
          entry.id,
          JSONRPC.UPSTREAM_ERROR,
          `Upstream server ${this.o.server} closed (${info.reason})`,
        ),
      );
    }
    this.pending.clear();
    this.o.onUpstreamClosed?.(info);
  }

  private up(msg: Message): void {
    this.o.upstream
      .send(msg)
      .catch((err: unknown) =>
        log.debug(`server ${this.o.server}: upstream write failed: ${(err as Error).message}`),
      );
  }

  private down(msg: Message, related?: JsonRpcId): void {
    if (this.closed) return;
    try {
      this.o.sendDown(msg, related);
    } catch (err) {
      log.debug(`server ${this.o.server}: client write failed: ${(err as Error).message}`);
    }
  }

  /** Stops routing; open calls get their outcome recorded as upstream errors. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const a of this.deciding.values()) a.abort();
    for (const entry of this.pending.values()) {
      if (!entry.call) continue;
      clearTimeout(entry.call.timer);
      this.o.enforcer.outcome(
        entry.call.decisionId,
        entry.call.tool,
        "upstream_error",
        performance.now() - entry.startedAt,
        null,
        "session closed",
      );
    }
    this.pending.clear();
    await this.o.upstream.close();
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
