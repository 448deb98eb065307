import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";

import type { ListedTool } from "@/lib/services/inventory";
import { Cancellation } from "./cancellation";
import type { Enforcer } from "./enforcer";
import {
  classify,
  type ErrorReply,
  idKey,
  type JsonRpcId,
  type JSONRPCRequest,
  type JSONRPCResponse,
  type Message,
  type Outbound,
} from "./jsonrpc";
import { log } from "./log";
import type { ProxyMetrics } from "./metrics";
import type { Continuation } from "./continuations";
import { InputBridge } from "./input-bridge";
import type { TaskBook } from "./tasks";
import { type ErrorKind, errorReply, reply } from "./replies";
import type { SessionPort, UpstreamConnection } from "./upstream/connection";

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
  "tasks/update",
  "server/discover",
]);

export const PASS_THROUGH_NOTIFICATIONS = new Set([
  "notifications/initialized",
  "notifications/cancelled",
  "notifications/progress",
  "notifications/roots/list_changed",
]);

export type PendingCall = {
  decisionId: string;
  /** The decision of the logical call's first round (itself, unless this is a continuation). */
  origin: string;
  tool: string;
  args: Record<string, unknown>;
  timer: NodeJS.Timeout;
};
export type Pending = {
  id: JsonRpcId;
  method: string;
  startedAt: number;
  call?: PendingCall;
  /** The request as the client sent it (a stateless upstream's input round trip resends it). */
  request?: JSONRPCRequest;
};

export type ClientSessionOptions = {
  key: string;
  server: string;
  connection: UpstreamConnection;
  enforcer: Enforcer;
  metrics: ProxyMetrics;
  /** Sends a message to the client. `related` names the client request it belongs to, if any. */
  sendDown: (message: Outbound, related?: JsonRpcId) => void;
  /** The upstream streams request `id`'s answer, or paused that stream (HTTP sessions follow). */
  streamDown?: (id: JsonRpcId, paused?: { retryMs: number }) => void;
  /** The client cancelled request `id`: no answer will come (HTTP releases the waiting POST). */
  endDown?: (id: JsonRpcId) => void;
  timeoutMs: () => number;
};

/**
 * The gateway side of one client session, whatever carries it (stdio, Streamable HTTP). Only
 * tools/call is decided and tools/list filtered; other known methods, notifications and
 * server-to-client requests pass through; unknown methods are refused. Message objects are
 * forwarded as parsed, so what goes upstream is a re-serialization of exactly what was evaluated.
 */
export class ClientSession implements SessionPort {
  readonly key: string;
  interactive = false;
  clientCapabilities: Record<string, unknown> = {};
  clientInfo?: Record<string, unknown>;
  protected readonly pending = new Map<string, Pending>();
  private readonly deciding = new Map<string, Cancellation>();
  private toolsCapability = true;
  protected closed = false;
  /** Whether an `input_required` result is fulfilled here (a session-based client) or passed on. */
  protected bridgesInput = true;
  private readonly inputs = new InputBridge(
    (m, related) => this.down(m, related),
    () => this.clientCapabilities,
  );

  constructor(protected readonly o: ClientSessionOptions) {
    this.key = o.key;
    o.connection.attach(this);
  }

  get enforcer(): Enforcer {
    return this.o.enforcer;
  }

  /** Resolves once no client request is being decided or waiting for the upstream (or after `maxMs`). */
  async drained(maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (
      (this.pending.size > 0 || this.deciding.size > 0) &&
      !this.o.connection.exited &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Handles one framed client message (an object; batches were refused before this). */
  fromClient(msg: Message, raw?: string): void {
    const c = classify(msg);
    const e = this.o.enforcer;
    switch (c.kind) {
      case "invalid":
        e.refuse({ cause: "malformed", reason: c.reason }, raw ?? JSON.stringify(msg));
        if (c.id !== null) this.down(reply.invalidRequest(c.id, c.reason));
        return;
      case "response":
        if (this.inputs.answer(c.message)) return;
        if (!this.o.connection.respond(this, c.message)) {
          log.debug(`server ${this.o.server}: dropped a client response to an unknown request`);
          return;
        }
        this.o.metrics.passedMessages.labels("client", "response").inc();
        return;
      case "notification":
        if (!PASS_THROUGH_NOTIFICATIONS.has(c.method)) {
          e.refuse({
            cause: "unknown_method",
            reason: `notification ${c.method} is not forwarded`,
            method: c.method,
          });
          return;
        }
        this.o.metrics.passedMessages.labels("client", "notification").inc();
        if (c.method === "notifications/cancelled" && this.onCancelled(c.params)) return;
        this.o.connection.notify(this, c.message);
        return;
      case "request":
        if (this.pending.has(idKey(c.id)) || this.deciding.has(idKey(c.id))) {
          e.refuse({ cause: "malformed", reason: "request id already in use", method: c.method });
          this.down(reply.invalidRequest(c.id, "id already in use"));
          return;
        }
        this.onRequest(c.message);
        return;
    }
  }

  protected onRequest(msg: JSONRPCRequest): void {
    if (msg.method === "tools/call") {
      this.toolCall(msg).catch((err: unknown) => {
        // Nothing may leave a call unanswered or take the process down.
        log.error(`server ${this.o.server}: tools/call failed: ${(err as Error).message}`);
        this.down(
          reply.upstreamFailed(msg.id, this.o.server, "unavailable: internal error"),
          msg.id,
        );
      });
      return;
    }
    if (msg.method.startsWith("tasks/") && this.taskBook?.admits(this.agent, msg) === false) {
      this.o.enforcer.refuse({
        cause: "malformed",
        reason: "task unknown or created by another agent",
        method: msg.method,
      });
      this.down(reply.invalidParams(msg.id, "Unknown task"), msg.id);
      return;
    }
    if (!PASS_THROUGH_REQUESTS.has(msg.method)) return this.refuseMethod(msg);
    this.o.metrics.passedMessages.labels("client", "request").inc();
    if (msg.method === "initialize") this.onInitialize(msg);
    else this.forward(msg);
  }

  protected refuseMethod(msg: JSONRPCRequest, kind: ErrorKind = "method_not_found"): void {
    this.o.enforcer.refuse({
      cause: "unknown_method",
      reason: `method ${msg.method} is not supported`,
      method: msg.method,
    });
    this.down(errorReply(kind, msg.id, `Method not found: ${msg.method}`), msg.id);
  }

  private onInitialize(msg: JSONRPCRequest): void {
    const { id } = msg;
    const p = msg.params ?? {};
    const caps = p.capabilities;
    this.clientCapabilities =
      caps && typeof caps === "object" && !Array.isArray(caps)
        ? (caps as Record<string, unknown>)
        : {};
    this.interactive =
      "sampling" in this.clientCapabilities || "elicitation" in this.clientCapabilities;
    const info = p.clientInfo;
    if (info && typeof info === "object" && !Array.isArray(info))
      this.clientInfo = info as Record<string, unknown>;
    if (this.o.connection.mode === "exclusive") return this.forward(msg);
    const started = performance.now();
    this.pending.set(idKey(id), { id, method: "initialize", startedAt: started });
    this.o.connection
      .initializeResult()
      .then((result) => {
        if (!this.pending.delete(idKey(id))) return;
        const asked = p.protocolVersion;
        const version =
          typeof asked === "string" && SUPPORTED_PROTOCOL_VERSIONS.includes(asked)
            ? asked
            : result.protocolVersion;
        this.onResponse(
          { id, method: "initialize", startedAt: started },
          { jsonrpc: "2.0", id, result: { ...result, protocolVersion: version } },
        );
      })
      .catch((err: unknown) => {
        if (!this.pending.delete(idKey(id))) return;
        this.o.metrics.upstreamErrors.labels(this.o.server, "connect").inc();
        this.down(
          reply.upstreamFailed(id, this.o.server, `unavailable: ${(err as Error).message}`),
          id,
        );
      });
  }

  protected forward(msg: JSONRPCRequest, call?: PendingCall): void {
    const entry = this.track(msg, call);
    this.o.connection.request(this, this.upstreamForm(msg), this.failureOf(entry));
  }

  /** Registers a request this session waits an answer for. */
  protected track(msg: JSONRPCRequest, call?: PendingCall): Pending {
    const { id, method } = msg;
    const entry: Pending = {
      id,
      method,
      startedAt: performance.now(),
      request: msg,
      ...(call ? { call } : {}),
    };
    this.pending.set(idKey(id), entry);
    return entry;
  }

  protected failureOf(entry: Pending): (reason: string) => void {
    return (reason) => this.onUpstreamFailure(entry, reason);
  }

  /** Sends a decided call upstream (a parked call's retry takes the running call over instead). */
  protected forwardCall(msg: JSONRPCRequest, call: PendingCall): void {
    this.forward(msg, call);
  }

  private get agent(): string {
    return this.o.enforcer.identity.agentId;
  }

  /** An exclusive upstream's tasks are all this session's; a shared one's are per agent. */
  private get taskBook(): TaskBook | null {
    return this.o.connection.mode === "shared" ? this.o.connection.tasks : null;
  }

  /** The first round this call continues, for clients that bring the input themselves. */
  protected continuationOf(
    _tool: string,
    _args: Record<string, unknown>,
    _params: Record<string, unknown>,
  ): Continuation {
    return null;
  }

  /** Called when a call's answer asks the client for input it will bring in a retry. */
  protected rememberFirstRound(_call: PendingCall, _result: Record<string, unknown>): void {}

  /** The request as the upstream should receive it (a protocol bridge rewrites the envelope). */
  protected upstreamForm(msg: JSONRPCRequest): JSONRPCRequest {
    return msg;
  }

  private onUpstreamFailure(entry: Pending, reason: string): void {
    if (this.pending.get(idKey(entry.id)) !== entry) return;
    this.pending.delete(idKey(entry.id));
    this.o.metrics.upstreamErrors.labels(this.o.server, "exit").inc();
    if (entry.call) this.endCall(entry, entry.call, "upstream_error", reason);
    this.down(reply.upstreamFailed(entry.id, this.o.server, reason), entry.id);
  }

  private async toolCall(msg: JSONRPCRequest): Promise<void> {
    const e = this.o.enforcer;
    const { id, params: p } = msg;
    const name = p?.name;
    const args = p?.arguments;
    if (!p || typeof name !== "string" || name.length === 0 || name.length > 256) {
      e.refuse({
        cause: "malformed",
        reason: "tools/call needs params.name (a string)",
        method: "tools/call",
      });
      this.down(reply.invalidParams(id, "tools/call needs a tool name"));
      return;
    }
    if (args !== undefined && (args === null || typeof args !== "object" || Array.isArray(args))) {
      e.refuse({
        cause: "malformed",
        reason: "tools/call arguments must be a JSON object",
        method: "tools/call",
        tool: name,
      });
      this.down(reply.invalidParams(id, "arguments must be a JSON object"));
      return;
    }
    const key = idKey(id);
    const abort = new Cancellation();
    this.deciding.set(key, abort);
    try {
      if (this.toolsCapability && !e.hasListing) await this.primeInventory();
      const token = p._meta?.progressToken;
      // Frozen so nothing between the decision and the write can alter what was evaluated.
      const evaluated = deepFreeze((args ?? {}) as Record<string, unknown>);
      const continuation = this.continuationOf(name, evaluated, p);
      if (continuation && "mismatch" in continuation) {
        e.refuse({
          cause: "malformed",
          reason: continuation.mismatch,
          method: "tools/call",
          tool: name,
        });
        this.down(reply.invalidParams(id, continuation.mismatch), id);
        return;
      }
      const action = await e.decide(
        {
          id,
          tool: name,
          arguments: evaluated,
          ...(typeof token === "string" || typeof token === "number"
            ? { progressToken: token }
            : {}),
          ...(continuation ? { continuationOf: continuation.decisionId } : {}),
        },
        (m) => this.down(m, id),
        abort,
      );
      if (abort.aborted || this.closed) {
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
        this.down(reply.result(id, action.result), id);
        return;
      }
      let timeoutMs: number;
      try {
        timeoutMs = this.o.timeoutMs();
      } catch (err) {
        // Decided and recorded, but not forwarded: the reservations go back.
        e.outcome(action.decisionId, name, "upstream_error", 0, null, "not forwarded");
        throw err;
      }
      const call: PendingCall = {
        decisionId: action.decisionId,
        origin: continuation?.decisionId ?? action.decisionId,
        tool: name,
        args: evaluated,
        timer: setTimeout(() => this.onTimeout(id, timeoutMs), timeoutMs),
      };
      this.forwardCall(msg, call);
    } finally {
      this.deciding.delete(key);
    }
  }

  private onTimeout(id: JsonRpcId, timeoutMs: number): void {
    const entry = this.pending.get(idKey(id));
    if (!entry?.call) return;
    this.pending.delete(idKey(id));
    this.o.metrics.upstreamErrors.labels(this.o.server, "timeout").inc();
    // An upstream need not answer a cancelled request: it must stop counting as in flight here.
    this.o.connection.abandon(this, id, "timed out in the gateway");
    this.o.enforcer.outcome(
      entry.call.decisionId,
      entry.call.tool,
      "timeout",
      performance.now() - entry.startedAt,
      null,
      `no answer within ${timeoutMs} ms`,
    );
    this.down(reply.timeout(id, this.o.server, timeoutMs, entry.call.decisionId), id);
  }

  /**
   * The client gave up on a request. One still being decided stops there; one the upstream has
   * is abandoned (told to the upstream, no longer in flight, no answer to the client) and its
   * call keeps its reservations: the upstream may have acted on it. True when the
   * cancellation was handled here; otherwise it is passed on as it came.
   */
  protected onCancelled(params: unknown): boolean {
    const p = params as { requestId?: unknown; reason?: unknown } | undefined;
    const requestId = p?.requestId;
    if (typeof requestId !== "string" && typeof requestId !== "number") return false;
    const deciding = this.deciding.get(idKey(requestId));
    if (deciding) {
      // Stopped before it was forwarded (toolCall records that): nothing to tell the upstream.
      deciding.abort();
      this.o.endDown?.(requestId);
      return true;
    }
    const entry = this.pending.get(idKey(requestId));
    if (!entry) return false;
    this.pending.delete(idKey(requestId));
    const reason = typeof p?.reason === "string" ? p.reason : "cancelled by the client";
    const sent = this.o.connection.abandon(this, requestId, reason);
    // A call the upstream had keeps its slot; one still queued here never left.
    if (entry.call) this.endCall(entry, entry.call, sent ? "cancelled" : "upstream_error", reason);
    this.o.endDown?.(requestId);
    return true;
  }

  /** No request waits on the upstream or on its decision. */
  get idle(): boolean {
    return this.pending.size === 0 && this.deciding.size === 0;
  }

  streamed(id: JsonRpcId, paused?: { retryMs: number }): void {
    if (this.pending.has(idKey(id))) this.o.streamDown?.(id, paused);
  }

  /** Upstream traffic for this session, ids already restored to the client's own. */
  deliver(msg: Outbound, related?: JsonRpcId): void {
    if (!("method" in msg)) {
      if (msg.id === undefined || msg.id === null) return;
      const entry = this.pending.get(idKey(msg.id));
      if (!entry) return;
      this.pending.delete(idKey(msg.id));
      this.onResponse(entry, msg);
      return;
    }
    this.o.metrics.passedMessages.labels("server", "id" in msg ? "request" : "notification").inc();
    this.down(msg, related);
  }

  protected onResponse(entry: Pending, msg: JSONRPCResponse | ErrorReply): void {
    const elapsed = performance.now() - entry.startedAt;
    const result = "result" in msg ? msg.result : undefined;
    if (this.bridgesInput && result?.resultType === "input_required" && entry.request)
      return this.fulfilInput(entry, entry.request, result);
    if (entry.method === "initialize" && result) {
      const caps = result.capabilities as { tools?: unknown } | undefined;
      this.toolsCapability = caps?.tools !== undefined;
    }
    if (entry.call) {
      clearTimeout(entry.call.timer);
      const { decisionId, tool } = entry.call;
      if ("error" in msg) {
        // The failed call's reservations are released before the client hears of the failure,
        // so a retry sent at once is not refused by a limit this call should not have used.
        this.o.metrics.upstreamErrors.labels(this.o.server, "jsonrpc_error").inc();
        this.o.enforcer.outcome(
          decisionId,
          tool,
          "jsonrpc_error",
          elapsed,
          Buffer.byteLength(JSON.stringify(msg.error)),
          `${msg.error.code} ${msg.error.message}`,
        );
        this.o.metrics.callLatency.labels(this.o.server).observe(elapsed / 1000);
        this.down(msg, entry.id);
        return;
      }
      this.taskBook?.record(this.agent, result);
      const asking = result?.resultType === "input_required";
      if (asking) this.rememberFirstRound(entry.call, result);
      // A success changes no reservation, so the answer goes first: its outcome row is only
      // queued, and measuring and queuing it while the client reads costs the call nothing.
      this.down(msg, entry.id);
      this.o.enforcer.outcome(
        decisionId,
        tool,
        asking ? "input_required" : result?.isError === true ? "is_error" : "success",
        elapsed,
        Buffer.byteLength(JSON.stringify(result ?? null)),
      );
      this.o.metrics.callLatency.labels(this.o.server).observe(elapsed / 1000);
      return;
    }
    if (entry.method === "tools/list" && result) {
      this.down(this.filterListing(entry.id, result), entry.id);
      return;
    }
    if (entry.method === "tasks/list" && result && Array.isArray(result.tasks)) {
      const book = this.taskBook;
      const own = book
        ? result.tasks.filter((task: unknown) =>
            book.owns(this.agent, (task as { taskId?: unknown } | null)?.taskId),
          )
        : result.tasks;
      this.down(reply.result(entry.id, { ...result, tasks: own }), entry.id);
      return;
    }
    this.o.metrics.passedMessages.labels("server", "response").inc();
    this.down(msg, entry.id);
  }

  private filterListing(id: JsonRpcId, result: Record<string, unknown>): Outbound {
    const tools: unknown[] = Array.isArray(result.tools) ? result.tools : [];
    const valid = tools.filter(
      (t): t is ListedTool =>
        t !== null && typeof t === "object" && typeof (t as { name?: unknown }).name === "string",
    );
    try {
      const visible = this.o.enforcer.filterToolList(valid);
      return reply.result(id, { ...result, tools: visible });
    } catch (err) {
      this.o.metrics.storageRefusals.labels(this.o.server).inc();
      log.error(
        `server ${this.o.server}: tools/list could not be checked (${(err as Error).message}); refused`,
      );
      return reply.listUnchecked(id);
    }
  }

  /**
   * Puts a stateless upstream's questions to this session-based client, then resends the same
   * call with the answers. The call stays one logical call: one decision, one outcome.
   */
  private fulfilInput(
    entry: Pending,
    request: JSONRPCRequest,
    result: Record<string, unknown>,
  ): void {
    const key = idKey(entry.id);
    this.pending.set(key, entry);
    this.inputs.fulfil(result, entry.id, this.o.timeoutMs()).then(
      (inputResponses) => {
        if (this.pending.get(key) !== entry) return;
        const state = result.requestState;
        const params = {
          ...request.params,
          inputResponses,
          ...(typeof state === "string" ? { requestState: state } : {}),
        };
        this.o.connection.request(
          this,
          this.upstreamForm({ ...request, params }),
          this.failureOf(entry),
        );
      },
      (err: unknown) => {
        if (this.pending.get(key) !== entry) return;
        this.pending.delete(key);
        this.onResponse(
          entry,
          errorReply("input_unavailable", entry.id, `Input needed: ${(err as Error).message}`),
        );
      },
    );
  }

  /** Lists the upstream's tools once before the first call, so pinning applies even to clients that never list. */
  private async primeInventory(): Promise<void> {
    const tools = await this.o.connection.listTools();
    if (!tools) {
      log.warn(`server ${this.o.server}: could not list tools before the first call`);
      return;
    }
    try {
      this.o.enforcer.filterToolList(tools as ListedTool[]);
    } catch (err) {
      log.warn(`server ${this.o.server}: inventory check failed: ${(err as Error).message}`);
    }
  }

  protected down(msg: Outbound, related?: JsonRpcId): void {
    if (this.closed) return;
    try {
      this.o.sendDown(msg, related);
    } catch (err) {
      log.debug(`server ${this.o.server}: client write failed: ${(err as Error).message}`);
    }
  }

  /**
   * Records a forwarded call that ended without the upstream's answer: an upstream failure
   * gives its limits back, a cancellation keeps them (the upstream had the call).
   */
  private endCall(
    entry: Pending,
    call: PendingCall,
    outcome: "upstream_error" | "cancelled",
    reason: string,
  ): void {
    clearTimeout(call.timer);
    this.o.enforcer.outcome(
      call.decisionId,
      call.tool,
      outcome,
      performance.now() - entry.startedAt,
      null,
      reason,
    );
  }

  /**
   * Stops routing. Calls the upstream already has are recorded as cancelled and keep their
   * reservations: closing a session must not give an agent its slots back for calls made.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const a of this.deciding.values()) a.abort();
    for (const entry of this.pending.values())
      if (entry.call) this.endCall(entry, entry.call, "cancelled", "session closed");
    this.pending.clear();
    this.inputs.close();
    this.o.connection.detach(this);
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
