import { ClientSession, type ClientSessionOptions, type PendingCall } from "./client-session";
import type { Continuation, Continuations } from "./continuations";
import { ParkedCalls, ParkedPort } from "./parking";
import {
  CALLBACK_CAPABILITY,
  idKey,
  type JsonRpcId,
  type JSONRPCRequest,
  type Outbound,
} from "./jsonrpc";
import {
  discoverResult,
  META,
  MODERN_METHODS,
  type ModernEnvelope,
  toLegacyRequest,
  toModernResult,
} from "./modern";
import { reply } from "./replies";

const LEVELS = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"];

type ListenFilter = {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
};

const LIST_CHANGED: Record<string, keyof ListenFilter> = {
  "notifications/tools/list_changed": "toolsListChanged",
  "notifications/prompts/list_changed": "promptsListChanged",
  "notifications/resources/list_changed": "resourcesListChanged",
};

/**
 * One stateless (2026-07-28) request, bridged to a session-based upstream over the shared
 * connection: the envelope's keys are dropped on the way up, results get `resultType` and
 * caching hints on the way down, log messages follow the request's own `logLevel`, and
 * `subscriptions/listen` turns the upstream's change notifications into a listen stream. The
 * client declared its capabilities for this request only and cannot be asked anything mid-call,
 * so a server-to-client request during it is refused to the upstream.
 */
export class ModernRequest extends ClientSession {
  /** An open listen stream; a null filter passes what a stateless upstream sends on its own. */
  private listening: { id: JsonRpcId; filter: ListenFilter | null } | null = null;

  constructor(
    o: ClientSessionOptions,
    private readonly envelope: ModernEnvelope,
    private readonly request: JSONRPCRequest,
    private readonly continuations: Continuations,
    private readonly parking: ParkedCalls,
  ) {
    super(o);
    // A stateless client answers input_required itself and retries.
    this.bridgesInput = false;
    // What this request's client can be asked, by way of an input_required round trip.
    this.clientCapabilities = envelope.capabilities;
    this.interactive =
      "sampling" in envelope.capabilities || "elicitation" in envelope.capabilities;
  }

  protected override onRequest(msg: JSONRPCRequest): void {
    if (msg.method === "server/discover") return this.discover(msg);
    if (msg.method === "subscriptions/listen") return this.listen(msg);
    if (!MODERN_METHODS.has(msg.method)) return this.refuseMethod(msg, "modern_method_not_found");
    super.onRequest(msg);
  }

  protected override continuationOf(
    tool: string,
    args: Record<string, unknown>,
    params: Record<string, unknown>,
  ): Continuation {
    const { agentId } = this.o.enforcer.identity;
    return this.continuations.find({ agentId, server: this.o.server, tool, args }, params);
  }

  protected override rememberFirstRound(call: PendingCall, result: Record<string, unknown>): void {
    const { agentId } = this.o.enforcer.identity;
    this.continuations.remember(
      { decisionId: call.origin, agentId, server: this.o.server, tool: call.tool, args: call.args },
      result.requestState,
    );
  }

  protected override upstreamForm(msg: JSONRPCRequest): JSONRPCRequest {
    return this.o.connection.era === "modern" ? msg : toLegacyRequest(msg);
  }

  protected override down(msg: Outbound, related?: JsonRpcId): void {
    if ("result" in msg && msg.id === this.request.id)
      return super.down(
        { ...msg, result: toModernResult(this.request.method, msg.result) },
        related,
      );
    super.down(msg, related);
  }

  override deliver(msg: Outbound, related?: JsonRpcId): void {
    if ("method" in msg && "id" in msg) {
      // This client cannot be asked anything mid-call; it is asked with an input_required result.
      if (this.park(msg)) return;
      this.o.connection.respond(this, {
        jsonrpc: "2.0",
        id: msg.id,
        error: { code: -32601, message: "The client of this call cannot be sent requests" },
      });
      return;
    }
    if (!("method" in msg)) return super.deliver(msg, related);
    const own = this.request.id;
    switch (msg.method) {
      case "notifications/progress":
        return super.deliver(msg, own);
      case "notifications/message": {
        const wanted = this.envelope.logLevel;
        const level = msg.params?.level;
        if (!wanted || typeof level !== "string") return;
        if (LEVELS.indexOf(level) < LEVELS.indexOf(wanted)) return;
        return super.deliver(msg, own);
      }
    }
    const listening = this.listening;
    if (!listening) return;
    const flag = LIST_CHANGED[msg.method];
    const filter = listening.filter;
    const wanted =
      filter === null ||
      (flag !== undefined
        ? filter[flag] === true
        : msg.method === "notifications/resources/updated");
    if (!wanted) return;
    const meta = { ...msg.params?._meta, [META.subscriptionId]: listening.id };
    super.deliver({ ...msg, params: { ...msg.params, _meta: meta } }, listening.id);
  }

  /**
   * A session-based upstream asks this stateless client something in the middle of its call: the
   * call is parked (still running upstream), and the client gets an `input_required` result
   * whose `requestState` names it. The retry with the answer takes the call over.
   */
  private park(question: JSONRPCRequest): boolean {
    const needs = CALLBACK_CAPABILITY[question.method];
    if (!needs || !(needs in this.clientCapabilities)) return false;
    const key = idKey(this.request.id);
    const entry = this.pending.get(key);
    const call = entry?.call;
    if (!entry || !call) return false;
    const port = new ParkedPort(`${this.key}-parked`, this.clientCapabilities);
    const { connection, enforcer } = this.o;
    connection.attach(port);
    const parkedId = `${this.key}-parked`;
    let expired = false;
    const expire = (reason: string, outcome: "timeout" | "upstream_error") => {
      if (expired) return;
      expired = true;
      connection.notify(port, {
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: parkedId, reason },
      });
      enforcer.outcome(call.decisionId, call.tool, outcome, 0, null, reason);
      connection.detach(port);
    };
    if (
      !connection.rebind(this, this.request.id, port, parkedId, (r) => expire(r, "upstream_error"))
    )
      return false;
    this.pending.delete(key);
    clearTimeout(call.timer);
    const inputKey = `portcullis-${String(question.id)}`;
    const token = this.parking.park(
      {
        port,
        connection,
        serverRequestId: question.id,
        inputKey,
        agentId: enforcer.identity.agentId,
        server: this.o.server,
        tool: call.tool,
        args: call.args,
        expire: () => expire("the client did not come back with the input in time", "timeout"),
      },
      this.o.timeoutMs(),
    );
    this.rememberFirstRound(call, { requestState: token });
    enforcer.outcome(
      call.decisionId,
      call.tool,
      "input_required",
      performance.now() - entry.startedAt,
      null,
    );
    const { id: _question, jsonrpc: _v, ...asked } = question;
    this.down(
      reply.result(this.request.id, {
        resultType: "input_required",
        inputRequests: { [inputKey]: asked },
        requestState: token,
      }),
      this.request.id,
    );
    return true;
  }

  /** The retry of a parked call takes the running upstream call over, answering its question. */
  protected override forwardCall(msg: JSONRPCRequest, call: PendingCall): void {
    const parked = this.parking.claim(msg.params?.requestState, {
      agentId: this.o.enforcer.identity.agentId,
      server: this.o.server,
      tool: call.tool,
      args: call.args,
    });
    if (!parked) {
      // A retry of a parked call that is gone (taken over already, expired) must not start the
      // call over upstream: the client calls the tool again, as a new call.
      if (ParkedCalls.names(msg.params?.requestState))
        return this.failureOf(this.track(msg, call))(
          "closed (the call this retry continues has ended; call the tool again)",
        );
      return super.forwardCall(msg, call);
    }
    if (parked.connection !== this.o.connection) {
      // The server's launch settings changed meanwhile: the parked call cannot be taken over,
      // so it is given up (cancelled upstream, its round's outcome recorded), and this retry
      // is a new call.
      parked.expire();
      return super.forwardCall(msg, call);
    }
    const entry = this.track(msg, call);
    const taken = parked.connection.rebind(
      parked.port,
      `${parked.port.key}`,
      this,
      msg.id,
      this.failureOf(entry),
    );
    if (!taken && !parked.port.answer) {
      // The parked call ended upstream (its upstream crashed) before this retry came.
      parked.connection.detach(parked.port);
      return this.failureOf(entry)("closed (the call this retry continues has ended)");
    }
    parked.connection.detach(parked.port);
    const responses = (msg.params?.inputResponses ?? {}) as Record<string, unknown>;
    const answer = responses[parked.inputKey];
    this.o.connection.respond(
      this,
      answer && typeof answer === "object"
        ? { jsonrpc: "2.0", id: parked.serverRequestId, result: answer as Record<string, unknown> }
        : {
            jsonrpc: "2.0",
            id: parked.serverRequestId,
            error: { code: -32602, message: "The client gave no answer to this request" },
          },
    );
    const early = parked.port.answer;
    if (early) this.deliver({ ...early, id: msg.id } as Outbound, msg.id);
  }

  /** The client closed the response stream: in this revision that is the cancellation. */
  cancel(): void {
    const requestId = this.request.id;
    const reason = "the client closed the response stream";
    if (this.onCancelled({ requestId, reason })) return;
    this.o.connection.notify(this, {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId, reason },
    });
  }

  private discover(msg: JSONRPCRequest): void {
    this.o.connection
      .initializeResult()
      .then((init) => {
        const own = this.o.connection.discoverAnswer;
        this.down(reply.result(msg.id, own ?? discoverResult(init)), msg.id);
      })
      .catch((err: unknown) =>
        this.down(
          reply.upstreamFailed(msg.id, this.o.server, `unavailable: ${(err as Error).message}`),
          msg.id,
        ),
      );
  }

  /** Acknowledges what the upstream can deliver, then streams it, tagged with this request's id. */
  private listen(msg: JSONRPCRequest): void {
    if (this.o.connection.era === "modern") {
      this.listening = { id: msg.id, filter: null };
      return this.forward(msg);
    }
    const asked = (msg.params?.notifications ?? {}) as ListenFilter;
    void this.o.connection
      .initializeResult()
      .then((init) => {
        const caps = (init.capabilities ?? {}) as Record<
          string,
          { listChanged?: boolean; subscribe?: boolean }
        >;
        const filter: ListenFilter = {};
        if (asked.toolsListChanged && caps.tools?.listChanged) filter.toolsListChanged = true;
        if (asked.promptsListChanged && caps.prompts?.listChanged) filter.promptsListChanged = true;
        if (asked.resourcesListChanged && caps.resources?.listChanged)
          filter.resourcesListChanged = true;
        const uris = Array.isArray(asked.resourceSubscriptions)
          ? asked.resourceSubscriptions.filter((u): u is string => typeof u === "string")
          : [];
        if (uris.length > 0 && caps.resources?.subscribe) filter.resourceSubscriptions = uris;
        this.listening = { id: msg.id, filter };
        this.down(
          {
            jsonrpc: "2.0",
            method: "notifications/subscriptions/acknowledged",
            params: { _meta: { [META.subscriptionId]: msg.id }, notifications: filter },
          },
          msg.id,
        );
        let n = 0;
        for (const uri of filter.resourceSubscriptions ?? []) {
          this.o.connection.request(
            this,
            {
              jsonrpc: "2.0",
              id: `listen-${msg.id}-${++n}`,
              method: "resources/subscribe",
              params: { uri },
            },
            () => {},
          );
        }
      })
      .catch((err: unknown) =>
        this.down(
          reply.upstreamFailed(msg.id, this.o.server, `unavailable: ${(err as Error).message}`),
          msg.id,
        ),
      );
  }
}
