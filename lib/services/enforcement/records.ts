import { type Db, sqliteHandle, type Tx } from "@/db/client";
import { canonicalJson } from "@/lib/core/canonical-json";
import { newId } from "@/lib/core/ids";
import { appendEvent, appendEvents, type AuditFields } from "../audit";
import { withTransaction } from "../context";
import { rollbackReservations } from "../counters";

export type Outcome =
  | "success"
  | "is_error"
  | "input_required"
  | "jsonrpc_error"
  | "timeout"
  | "upstream_error"
  /** The client gave up on a call the upstream had (or its session ended): limits keep it. */
  | "cancelled";

export type OutcomeInput = {
  decisionId: string;
  server: string;
  tool: string;
  actor: { agentId: string; label: string; anonymous?: boolean };
  source: "gateway" | "stdio";
  outcome: Outcome;
  latencyMs: number;
  resultBytes: number | null;
  /** JSON-RPC error code/message or a short upstream failure description. */
  error?: string | null;
  at: number;
  /**
   * The counter keys the decision reserved, if the caller kept them: a rollback then seeks its
   * rows by key; without them it has to read every row to find them.
   */
  reservedKeys?: readonly string[] | undefined;
};

/** Outcomes that mean the upstream did not perform the call as far as we know: limits give the slot back. */
export const ROLLBACK_OUTCOMES: ReadonlySet<Outcome> = new Set([
  "jsonrpc_error",
  "timeout",
  "upstream_error",
]);

type Queued = {
  row: AuditFields;
  rollback: { decisionId: string; keys: readonly string[] | undefined } | null;
};

/**
 * Buffers tool_call.outcome rows and writes them in one IMMEDIATE transaction every `flushMs`
 * (and on `close`). An outcome that rolls reservations back (rare: the upstream failed) is
 * written at once, with everything queued before it, so the slot is free before this process
 * decides its next call: an agent retrying right after an upstream error is not refused by a
 * limit the failed call should not have used. Decisions are never buffered: they commit before
 * the call is forwarded. A failed flush keeps its rows for the next attempt.
 */
export class OutcomeWriter {
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Immediate | null = null;
  private closed = false;

  /**
   * Rows wait up to `flushMs`, or until `maxBatch` are queued: a flush holds the event loop while
   * its rows are hashed and inserted, and 50 ms of outcomes at a few thousand calls/s is well over
   * a hundred rows, a pause every call arriving meanwhile waits out.
   */
  constructor(
    private readonly db: Db,
    private readonly flushMs = 50,
    private readonly onError: (err: unknown) => void = () => {},
    private readonly maxBatch = 32,
  ) {}

  record(input: OutcomeInput): void {
    const row: AuditFields = {
      id: newId("event"),
      occurredAt: input.at,
      source: input.source,
      actorType: input.actor.anonymous ? "anonymous" : "agent",
      actorId: input.actor.agentId,
      actorLabel: input.actor.label,
      action: "tool_call.outcome",
      server: input.server,
      tool: input.tool,
      outcome: input.outcome,
      latencyMs: Math.max(0, Math.round(input.latencyMs)),
      resultBytes: input.resultBytes,
      correlationId: input.decisionId,
      detail: input.error ? canonicalJson({ error: input.error.slice(0, 500) }) : null,
    };
    const rollback = ROLLBACK_OUTCOMES.has(input.outcome)
      ? { decisionId: input.decisionId, keys: input.reservedKeys }
      : null;
    this.queue.push({ row, rollback });
    if (this.closed || rollback !== null) this.flush();
    // After the current turn, so the answer that produced this row is not held up by the flush.
    else if (this.queue.length >= this.maxBatch) this.soon ??= setImmediate(() => this.flush());
    else this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /** Writes everything queued. Returns false when the database refused (rows stay queued). */
  flush(): boolean {
    if (this.timer) clearTimeout(this.timer);
    if (this.soon) clearImmediate(this.soon);
    this.timer = null;
    this.soon = null;
    if (this.queue.length === 0) return true;
    const batch = this.queue;
    this.queue = [];
    try {
      withTransaction({ db: this.db }, (tx) => {
        for (const q of batch)
          if (q.rollback) rollbackDecision(tx, q.rollback.decisionId, q.rollback.keys);
        appendEvents(
          tx,
          batch.map((q) => q.row),
        );
      });
      return true;
    } catch (err) {
      this.queue = batch.concat(this.queue);
      this.onError(err);
      if (!this.closed) this.timer = setTimeout(() => this.flush(), Math.max(this.flushMs, 250));
      return false;
    }
  }

  get pending(): number {
    return this.queue.length;
  }

  close(): boolean {
    this.closed = true;
    return this.flush();
  }
}

/**
 * Gives back what a decision reserved. Its reservations carry its decision row's time; a
 * decision whose row cannot be found (archived long ago) keeps them: a limit may then refuse
 * early, never admit too much.
 */
function rollbackDecision(tx: Tx, decisionId: string, keys?: readonly string[]): void {
  if (keys?.length === 0) return;
  const at = sqliteHandle(tx)
    .prepare("SELECT occurred_at FROM audit_events WHERE id = ? AND action = 'tool_call.decide'")
    .pluck()
    .get(decisionId) as number | undefined;
  if (at !== undefined) rollbackReservations(tx, decisionId, at, keys);
}

export type RefusedMessage = {
  cause:
    | "malformed"
    | "unauthenticated"
    | "oversize"
    | "batch"
    | "unknown_method"
    /** Refused on the transport's own rules: Accept, Content-Type, protocol version header. */
    | "transport"
    /** The gateway or the agent is at its session limit. */
    | "session_limit"
    /** The upstream could not be started, or its stored configuration could not be read. */
    | "upstream_unavailable"
    /** A call that could not be decided (its server's configuration or policy did not load). */
    | "internal";
  reason: string;
  source: "gateway" | "stdio";
  server: string | null;
  actor: { agentId: string; label: string; anonymous?: boolean } | null;
  method?: string | null;
  tool?: string | null;
  detail?: Record<string, unknown>;
  requestId?: string | null;
  remoteIp?: string | null;
  at: number;
};

/**
 * Records one refused inbound message (message.refuse, decision deny) in its own IMMEDIATE
 * transaction. Returns the row id, or throws when the database refused (the caller still
 * refuses the message, and counts a storage refusal).
 */
export function recordRefusal(db: Db, input: RefusedMessage): string {
  return appendEvent(db, {
    occurredAt: input.at,
    source: input.source,
    actorType: input.actor ? (input.actor.anonymous ? "anonymous" : "agent") : "anonymous",
    actorId: input.actor?.agentId ?? null,
    actorLabel: input.actor?.label ?? null,
    action: "message.refuse",
    server: input.server,
    tool: input.tool ?? null,
    decision: "deny",
    cause: input.cause,
    reason: input.reason,
    requestId: input.requestId ?? null,
    remoteIp: input.remoteIp ?? null,
    detail: canonicalJson({ method: input.method ?? null, ...input.detail }),
  });
}
