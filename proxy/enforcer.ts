import { setTimeout as sleep } from "node:timers/promises";

import type { Db } from "@/db/client";
import type { Approval } from "@/db/schema";
import { AppError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import {
  approvalPendingResult,
  type DenyDecision,
  refusalResult,
  type Reservation,
  type ToolDefinition,
  visibleTools,
} from "@/lib/core/policy";
import { getApproval } from "@/lib/services/approvals";
import {
  type CallIdentity,
  type CallVerdict,
  type DecideCallInput,
  type DecisionBatcher,
  describeRawMessage,
  type Outcome,
  type OutcomeWriter,
  recordRefusal,
  type RefusedMessage,
} from "@/lib/services/enforcement";
import { type ListedTool, recordToolListing, toolDefinitionHash } from "@/lib/services/inventory";
import { isStorageFailure } from "@/lib/services/storage-failure";
import type { Cancellation } from "./cancellation";
import type { JsonRpcId, Outbound } from "./jsonrpc";
import { log } from "./log";
import type { ProxyMetrics } from "./metrics";
import type { EnforcementView, PolicySource } from "./policy-source";

/** Calls in flight whose reserved keys one session keeps (far more than a session runs at once). */
const MAX_REMEMBERED_CALLS = 10_000;
const NOTHING_RESERVED: readonly string[] = Object.freeze([]);

export type EnforcerOptions = {
  db: Db;
  server: string;
  source: "gateway" | "stdio";
  identity: CallIdentity;
  policy: PolicySource;
  outcomes: OutcomeWriter;
  /** Decides and records calls; concurrent calls share one transaction (group commit). */
  decisions: DecisionBatcher;
  metrics: ProxyMetrics;
  approvalWaitMs: number;
  approvalPollMs?: number;
  hmacKey?: string;
  sessionId?: string | null;
  remoteIp?: string | null;
  /** What the upstream advertised; shared by every enforcer in front of the same connection. */
  catalog?: ToolCatalog;
};

/** The tool definitions one upstream connection advertised, and pins for servers with no inventory row. */
export class ToolCatalog {
  readonly seen = new Map<string, { def: ListedTool; hash: string }>();
  readonly localPins = new Map<string, string>();
  listed = false;
}

export type ToolCall = {
  id: JsonRpcId;
  tool: string;
  arguments: Record<string, unknown>;
  progressToken?: string | number;
  /** The first round's decision, when this call brings input that round asked for. */
  continuationOf?: string;
};

export type CallAction =
  | { kind: "forward"; decisionId: string }
  | { kind: "reply"; result: Record<string, unknown> }
  | { kind: "silent" };

/**
 * The enforcement side of one client session: decides tools/call, filters tools/list, keeps the
 * tool inventory and writes outcome and refusal rows. Transport-agnostic.
 */
export class Enforcer {
  /** Definitions this session's upstream advertised, by name. */
  private readonly seen: Map<string, { def: ListedTool; hash: string }>;
  /**
   * The counter keys each forwarded call reserved, until its outcome is recorded: a rollback
   * seeks the rows by key instead of reading every row to find them.
   */
  private readonly reserved = new Map<string, readonly string[]>();
  /** Pins for servers with no inventory row (console-less `run --policy`), per process. */
  private readonly localPins: Map<string, string>;
  private readonly catalog: ToolCatalog;

  constructor(private readonly o: EnforcerOptions) {
    this.catalog = o.catalog ?? new ToolCatalog();
    this.seen = this.catalog.seen;
    this.localPins = this.catalog.localPins;
  }

  get identity(): CallIdentity {
    return this.o.identity;
  }

  get hasListing(): boolean {
    return this.catalog.listed;
  }

  /** Why the last view could not be built. */
  private viewError: unknown = null;

  /** The view in force, or null when it cannot be built (the caller refuses). */
  private view(): EnforcementView | null {
    try {
      return this.o.policy.current();
    } catch (err) {
      this.viewError = err;
      log.error(
        `server ${this.o.server}: cannot load enforcement state: ${(err as Error).message}`,
      );
      return null;
    }
  }

  /** Records a listing and returns the tools this agent may see. Throws when it cannot decide. */
  filterToolList(tools: readonly ListedTool[]): ListedTool[] {
    const view = this.view();
    if (!view) throw new AppError("INTERNAL", "policy unavailable");
    const now = Date.now();
    for (const def of tools) this.seen.set(def.name, { def, hash: toolDefinitionHash(def) });
    this.catalog.listed = true;
    let quarantined = new Set<string>();
    if (view.upstream) {
      const result = recordToolListing(this.o.db, {
        upstreamId: view.upstream.id,
        server: this.o.server,
        tools,
        now,
        source: this.o.source,
      });
      quarantined = new Set(
        [...result.statuses].filter(([, s]) => s === "quarantined").map(([n]) => n),
      );
      for (const name of result.newlyQuarantined)
        log.warn(`server ${this.o.server}: tool "${name}" changed; quarantined until accepted`);
    } else {
      for (const def of tools) {
        const hash = this.seen.get(def.name)?.hash ?? "";
        const pinned = this.localPins.get(def.name);
        if (pinned === undefined) this.localPins.set(def.name, hash);
        else if (pinned !== hash) {
          if (!quarantined.has(def.name))
            log.warn(
              `server ${this.o.server}: tool "${def.name}" changed during this run; refused from now on`,
            );
          quarantined.add(def.name);
        }
      }
    }
    const live = this.view() ?? view;
    const allowed = visibleTools(live.snapshot, tools, live.grants, now);
    return allowed.filter((t) => !quarantined.has(t.name) && !this.isQuarantined(live, t.name));
  }

  private isQuarantined(view: EnforcementView, tool: string): boolean {
    if (!view.upstream) {
      const pinned = this.localPins.get(tool);
      const seen = this.seen.get(tool);
      return pinned !== undefined && seen !== undefined && pinned !== seen.hash;
    }
    const row = view.tools.get(tool);
    if (!row) return false;
    if (row.status === "quarantined") return true;
    const seen = this.seen.get(tool);
    return seen !== undefined && seen.hash !== row.approvedHash;
  }

  /**
   * Decides a tools/call: records the decision (fail closed), then either lets the caller
   * forward it, answers with a refusal, or holds it for an approval.
   */
  async decide(
    call: ToolCall,
    notify: (m: Outbound) => void,
    cancel: Cancellation,
  ): Promise<CallAction> {
    const view = this.view();
    if (!view) return this.undecidable(call, this.viewError);
    let verdict: CallVerdict;
    try {
      verdict = await this.o.decisions.decide(this.callInput(view, call, Date.now()));
    } catch (err) {
      return this.undecidable(call, err);
    }
    if (verdict.kind === "pending")
      return this.hold(call, verdict.decisionId, verdict.approval, notify, cancel);
    return this.act(call, verdict);
  }

  /** What the engine decides `call` against: the view in force and who is calling. */
  // One object literal per call, no spreads: it is built for every tools/call.
  private callInput(
    view: EnforcementView,
    call: ToolCall,
    now: number,
    heldApprovalId?: string,
  ): DecideCallInput {
    return {
      snapshot: view.snapshot,
      policyVersion: view.policyVersion,
      server: this.o.server,
      upstreamId: view.upstream?.id ?? null,
      tool: call.tool,
      arguments: call.arguments,
      identity: this.o.identity,
      grants: view.grants,
      toolDefinition: this.definitionFor(view, call.tool),
      quarantined: this.isQuarantined(view, call.tool),
      source: this.o.source,
      requestId: String(call.id),
      sessionId: this.o.sessionId ?? null,
      remoteIp: this.o.remoteIp ?? null,
      hmacKey: this.o.hmacKey,
      continuationOf: call.continuationOf,
      heldApprovalId,
      now,
    };
  }

  private act(call: ToolCall, verdict: CallVerdict): CallAction {
    const label = this.toolLabel(call.tool);
    if (verdict.kind === "allow") {
      this.o.metrics.toolCalls.labels(this.o.server, label, "allow").inc();
      this.rememberReserved(verdict.decisionId, verdict.decision.reservations);
      return { kind: "forward", decisionId: verdict.decisionId };
    }
    if (verdict.kind === "deny") {
      this.o.metrics.toolCalls.labels(this.o.server, label, "deny").inc();
      return { kind: "reply", result: refusalResult(verdict.decision, verdict.decisionId) };
    }
    throw new Error(`unexpected verdict ${verdict.kind}`);
  }

  private async hold(
    call: ToolCall,
    decisionId: string,
    approval: Approval,
    notify: (m: Outbound) => void,
    cancel: Cancellation,
  ): Promise<CallAction> {
    const label = this.toolLabel(call.tool);
    this.o.metrics.toolCalls.labels(this.o.server, label, "approval_required").inc();
    const started = Date.now();
    const deadline = Math.min(started + this.o.approvalWaitMs, approval.expiresAt.getTime());
    const poll = this.o.approvalPollMs ?? 250;
    let tick = 0;
    while (Date.now() < deadline) {
      try {
        await sleep(Math.min(poll, Math.max(1, deadline - Date.now())), undefined, {
          signal: cancel.signal,
        });
      } catch {
        return { kind: "silent" };
      }
      tick += 1;
      if (call.progressToken !== undefined) {
        notify({
          jsonrpc: "2.0",
          method: "notifications/progress",
          params: {
            progressToken: call.progressToken,
            progress: tick,
            message: `Waiting for approval ${approval.id}`,
          },
        });
      }
      let row: Approval | null;
      try {
        row = getApproval(this.o.db, approval.id);
      } catch {
        continue;
      }
      if (!row) break;
      if (row.status === "approved") {
        // Decided again as things are now: a policy, grant or server changed during the wait
        // applies to the approved call too.
        const view = this.view();
        if (!view) return this.undecidable(call, this.viewError);
        let verdict: CallVerdict;
        try {
          verdict = await this.o.decisions.decide(
            this.callInput(view, call, Date.now(), approval.id),
          );
        } catch (err) {
          return this.undecidable(call, err);
        }
        if (verdict.kind === "not_yet") continue;
        if (verdict.kind === "pending") break;
        return this.act(call, verdict);
      }
      if (row.status === "denied") {
        const d: DenyDecision = {
          kind: "deny",
          cause: "rule",
          rule: row.rule,
          reason: `approval ${row.id} denied by ${row.decidedBy ?? "a reviewer"}${row.comment ? `: ${row.comment}` : ""}`,
          message: `Approval ${row.id} was denied${row.comment ? `: ${row.comment}` : ""}`,
        };
        return { kind: "reply", result: refusalResult(d, decisionId) };
      }
      if (row.status !== "pending") break;
    }
    return {
      kind: "reply",
      result: approvalPendingResult(call.tool, {
        approvalId: approval.id,
        status: "pending",
        decisionId,
        rule: approval.rule,
        expiresAt: approval.expiresAt.toISOString(),
      }),
    };
  }

  /**
   * A call that could not be decided is refused. When the database itself failed, the refusal
   * cannot be recorded either and goes to the log and the metric; any other cause (an upstream
   * whose stored configuration no longer opens, say) is audited as a refusal, whose id the agent
   * gets.
   */
  private undecidable(call: ToolCall, err: unknown): CallAction {
    const why = err instanceof Error ? err.message : String(err ?? "unknown");
    log.error(
      `server ${this.o.server}: refusing ${call.tool}: the call could not be decided (${why})`,
    );
    let decisionId: string | null = null;
    if (isStorageFailure(err)) this.o.metrics.storageRefusals.labels(this.o.server).inc();
    else
      decisionId = this.refuse({
        cause:
          err instanceof AppError && err.code === "UNAUTHENTICATED"
            ? "unauthenticated"
            : "internal",
        reason: `the call could not be decided: ${why}`,
        method: "tools/call",
        tool: call.tool,
        requestId: String(call.id),
      });
    return {
      kind: "reply",
      result: refusalResult(
        {
          kind: "deny",
          cause: "internal",
          rule: null,
          reason: "the call could not be decided",
          message: `Tool "${call.tool}" could not be authorized right now`,
        },
        decisionId ?? newId("event"),
      ),
    };
  }

  private definitionFor(view: EnforcementView, tool: string): ToolDefinition {
    const seen = this.seen.get(tool);
    if (seen) return { inputSchema: seen.def.inputSchema, hash: seen.hash };
    const row = view.tools.get(tool);
    return row ? { inputSchema: row.definition.inputSchema, hash: row.approvedHash } : undefined;
  }

  /** Metric label for a tool: only names the upstream advertised, so clients cannot blow up cardinality. */
  toolLabel(tool: string): string {
    return this.seen.has(tool) ? tool : "_unlisted";
  }

  private rememberReserved(decisionId: string, reservations: readonly Reservation[]): void {
    // Bounded: were outcomes ever lost, the oldest entries go (their rollback then scans).
    if (this.reserved.size >= MAX_REMEMBERED_CALLS) {
      const oldest = this.reserved.keys().next();
      if (!oldest.done) this.reserved.delete(oldest.value);
    }
    this.reserved.set(
      decisionId,
      reservations.length === 0 ? NOTHING_RESERVED : reservations.map((r) => r.key),
    );
  }

  outcome(
    decisionId: string,
    tool: string,
    outcome: Outcome,
    latencyMs: number,
    resultBytes: number | null,
    error?: string,
  ): void {
    const reservedKeys = this.reserved.get(decisionId);
    this.reserved.delete(decisionId);
    this.o.outcomes.record({
      reservedKeys,
      decisionId,
      server: this.o.server,
      tool,
      actor: this.o.identity,
      source: this.o.source,
      outcome,
      latencyMs,
      resultBytes,
      error: error ?? null,
      at: Date.now(),
    });
  }

  /** Records a refused inbound message; a storage failure is counted, never thrown. */
  refuse(
    input: Omit<RefusedMessage, "source" | "server" | "actor" | "at" | "remoteIp">,
    raw?: string,
  ): string | null {
    this.o.metrics.refusedMessages.labels(input.cause).inc();
    try {
      return recordRefusal(this.o.db, {
        ...input,
        detail: {
          ...input.detail,
          ...(raw !== undefined ? { message: describeRawMessage(raw, this.o.hmacKey) } : {}),
        },
        source: this.o.source,
        server: this.o.server,
        actor: this.o.identity,
        remoteIp: this.o.remoteIp ?? null,
        at: Date.now(),
      });
    } catch (err) {
      this.o.metrics.storageRefusals.labels(this.o.server).inc();
      log.error(
        `server ${this.o.server}: could not record a refused message: ${(err as Error).message}`,
      );
      return null;
    }
  }
}
