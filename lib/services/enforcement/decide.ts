import { type Db, sqliteHandle, type Tx } from "@/db/client";
import type { Approval } from "@/db/schema";
import { canonicalJson } from "@/lib/core/canonical-json";
import { newId } from "@/lib/core/ids";
import {
  type CounterReader,
  type Decision,
  type DenyDecision,
  evaluate,
  type Grant,
  type PolicySnapshot,
  type ToolDefinition,
} from "@/lib/core/policy";
import {
  approvalFingerprint,
  consumeApproval,
  findLiveApproval,
  getApproval,
  insertPendingApproval,
} from "../approvals";
import { appendEvents, type AuditFields } from "../audit";
import { withTransaction } from "../context";
import { counterReader, reserveCounters } from "../counters";
import { type ArgumentsMode, auditArguments } from "./audit-arguments";

export type CallIdentity = {
  agentId: string;
  keyId: string | null;
  label: string;
  anonymous?: boolean;
};

export type DecideCallInput = {
  snapshot: PolicySnapshot;
  policyVersion: string | null;
  server: string;
  upstreamId: string | null;
  tool: string;
  /** The parsed `params.arguments` object: exactly what will be forwarded if allowed. */
  arguments: Record<string, unknown>;
  identity: CallIdentity;
  grants: readonly Grant[];
  toolDefinition?: ToolDefinition;
  /** Set when the inventory holds this tool in quarantine: refused before the policy runs. */
  quarantined?: boolean;
  source: "gateway" | "stdio";
  requestId: string | null;
  sessionId?: string | null;
  remoteIp?: string | null;
  hmacKey?: string;
  now: number;
  /** Re-decide a held call whose approval `heldApprovalId` was granted meanwhile. */
  heldApprovalId?: string;
  /**
   * The decision of the first round of the same logical call (a stateless retry that carries the
   * client's input): the policy is applied again, but its limits were charged by that decision and
   * its approval given to it, so neither is asked twice. The row links to the first decision.
   */
  continuationOf?: string;
};

export type CallVerdict =
  | {
      kind: "allow";
      decisionId: string;
      decision: Extract<Decision, { kind: "allow" }>;
      approvalId?: string;
    }
  | { kind: "deny"; decisionId: string; decision: DenyDecision; auditCause: string }
  | {
      kind: "pending";
      decisionId: string;
      approval: Approval;
      decision: Extract<Decision, { kind: "require_approval" }>;
    }
  | { kind: "not_yet"; approval: Approval | null };

/** A continuation's counters: its first round already reserved what it uses. */
const CHARGED: CounterReader = Object.assign(() => "0", { entries: () => [] });

export const QUARANTINE_REASON =
  "tool definition changed since it was approved; quarantined until an admin accepts it";

export function quarantineDecision(tool: string): DenyDecision {
  return {
    kind: "deny",
    cause: "not_permitted",
    rule: null,
    reason: QUARANTINE_REASON,
    message: `Tool "${tool}" changed since it was approved and is held for review`,
  };
}

function decisionLabel(d: Decision): "allow" | "deny" | "approval_required" {
  return d.kind === "require_approval" ? "approval_required" : d.kind;
}

/**
 * Runs `fn` in the transaction already open on the connection (a batch of decisions opens it
 * with the driver, see DecisionBatcher), or in an IMMEDIATE one of its own.
 */
function inTransaction<T>(db: Db | Tx, fn: (tx: Tx) => T): T {
  // Queries through either object run on the one connection, inside its open transaction.
  return sqliteHandle(db).inTransaction ? fn(db as Tx) : withTransaction({ db }, fn);
}

/**
 * Decides one tools/call and records it in ONE IMMEDIATE transaction: the counter values the
 * engine reads, the reservations it makes, the decision's audit row and, for approvals, the
 * approvals row. Limits are therefore exact across processes. Given a transaction (a batch of
 * decisions, see DecisionBatcher) it runs inside it instead. Throws only when the database
 * fails; the caller must then refuse the call (fail closed).
 */
export function decideToolCall(db: Db | Tx, input: DecideCallInput): CallVerdict {
  const decisionId = newId("event");
  const argsMode: ArgumentsMode = input.snapshot.auditArguments;
  const auditedArgs = auditArguments(input.arguments, argsMode, input.hmacKey);
  const agentRef = { agentId: input.identity.agentId, label: input.identity.label };

  return inTransaction(db, (tx) => {
    // The clock is read once the write lock is held, so no committed reservation is newer than it.
    const now = Math.max(input.now, Date.now());
    const row = (d: Decision, extra: Record<string, unknown>, cause?: string): AuditFields => ({
      id: decisionId,
      occurredAt: now,
      source: input.source,
      actorType: input.identity.anonymous ? "anonymous" : "agent",
      actorId: input.identity.agentId,
      actorLabel: input.identity.label,
      action: "tool_call.decide",
      server: input.server,
      tool: input.tool,
      decision: decisionLabel(d),
      cause: cause ?? (d.kind === "deny" ? d.cause : null),
      rule: d.rule,
      reason: d.kind === "allow" ? null : d.reason,
      message: d.kind === "deny" ? d.message : null,
      policyVersion: input.policyVersion,
      arguments: auditedArgs,
      argumentsMode: argsMode,
      requestId: input.requestId,
      remoteIp: input.remoteIp ?? null,
      correlationId: input.continuationOf ?? null,
      detail: canonicalJson({
        sessionId: input.sessionId ?? null,
        keyId: input.identity.keyId,
        ...extra,
      }),
    });

    if (input.quarantined) {
      const d = quarantineDecision(input.tool);
      appendEvents(tx, [row(d, {}, "quarantined")]);
      return {
        kind: "deny",
        decisionId,
        decision: d,
        auditCause: "quarantined",
      } satisfies CallVerdict;
    }

    const counters = input.continuationOf ? CHARGED : counterReader(tx);
    const base = {
      server: input.server,
      tool: input.tool,
      arguments: input.arguments,
      agentId: input.identity.agentId,
      toolDefinition: input.toolDefinition,
      grants: input.grants,
      counters,
      now,
      ...(input.continuationOf ? { approved: true } : {}),
    };

    let decision = evaluate(input.snapshot, base);
    let consumed: { approval: Approval; row: AuditFields } | null = null;

    if (decision.kind === "require_approval") {
      const fingerprint = approvalFingerprint({
        ...agentRef,
        server: input.server,
        tool: input.tool,
        arguments: input.arguments,
        rule: decision.rule,
      });
      const live = input.heldApprovalId
        ? getApproval(tx, input.heldApprovalId)
        : findLiveApproval(tx, fingerprint, now);
      const usable =
        live && live.fingerprint === fingerprint && live.expiresAt.getTime() > now ? live : null;

      if (usable?.status === "approved") {
        const second = evaluate(input.snapshot, { ...base, approvedRule: usable.rule });
        if (second.kind === "allow") {
          const consumeRow = consumeApproval(tx, usable, decisionId, agentRef, now, input.source);
          if (!consumeRow)
            return { kind: "not_yet", approval: getApproval(tx, usable.id) } satisfies CallVerdict;
          consumed = { approval: usable, row: consumeRow };
        }
        decision = second;
      } else if (input.heldApprovalId) {
        // A held call only re-decides once its approval moved; the caller keeps waiting.
        return { kind: "not_yet", approval: usable } satisfies CallVerdict;
      } else if (decision.kind === "require_approval") {
        const approvalId = usable?.status === "pending" ? usable.id : newId("approval");
        appendEvents(tx, [row(decision, { approvalId })]);
        const approval =
          usable?.status === "pending"
            ? usable
            : insertPendingApproval(tx, {
                id: approvalId,
                fingerprint,
                agent: agentRef,
                upstreamId: input.upstreamId,
                server: input.server,
                tool: input.tool,
                argumentsForAudit: JSON.parse(auditedArgs) as unknown,
                rule: decision.rule,
                reason: decision.reason,
                decisionId,
                now,
                timeoutMs: decision.timeoutMs,
                source: input.source,
              });
        return { kind: "pending", decisionId, approval, decision } satisfies CallVerdict;
      }
    }

    if (decision.kind === "require_approval") {
      // Approved under one rule, a second approval rule still applies: refuse, never loop.
      const d: DenyDecision = {
        kind: "deny",
        cause: "rule",
        rule: decision.rule,
        reason: `needs another approval (${decision.rule})`,
        message: `Denied by rule "${decision.rule}"`,
      };
      appendEvents(tx, [row(d, {})]);
      return { kind: "deny", decisionId, decision: d, auditCause: d.cause } satisfies CallVerdict;
    }

    if (decision.kind === "allow" && input.continuationOf) {
      appendEvents(tx, [row(decision, {}, "continuation")]);
      return { kind: "allow", decisionId, decision } satisfies CallVerdict;
    }

    if (decision.kind === "allow") {
      reserveCounters(tx, decision.reservations, decisionId, now);
      if (consumed) {
        appendEvents(tx, [
          row(decision, { approvalId: consumed.approval.id }, "approved"),
          consumed.row,
        ]);
        return {
          kind: "allow",
          decisionId,
          decision,
          approvalId: consumed.approval.id,
        } satisfies CallVerdict;
      }
      appendEvents(tx, [row(decision, {})]);
      return { kind: "allow", decisionId, decision } satisfies CallVerdict;
    }

    appendEvents(tx, [row(decision, {})]);
    return { kind: "deny", decisionId, decision, auditCause: decision.cause } satisfies CallVerdict;
  });
}
