import { createHash } from "node:crypto";

import { and, desc, eq } from "drizzle-orm";

import type { Db, Tx } from "@/db/client";
import { type Approval, approvals } from "@/db/schema";
import { canonicalJson } from "@/lib/core/canonical-json";
import { newId } from "@/lib/core/ids";
import { appendEvents, type AuditFields } from "../audit";

/** Binds an approval to one exact call: the same agent, server, tool, arguments and rule. */
export function approvalFingerprint(input: {
  agentId: string;
  server: string;
  tool: string;
  arguments: unknown;
  rule: string;
}): string {
  const text = canonicalJson({
    agent: input.agentId,
    server: input.server,
    tool: input.tool,
    arguments: input.arguments ?? {},
    rule: input.rule,
  });
  return createHash("sha256").update(text).digest("hex");
}

/** The most recent approval for a fingerprint that is still pending or approved. */
export function findLiveApproval(tx: Db | Tx, fingerprint: string, now: number): Approval | null {
  const rows = tx
    .select()
    .from(approvals)
    .where(eq(approvals.fingerprint, fingerprint))
    .orderBy(desc(approvals.requestedAt))
    .limit(5)
    .all();
  for (const row of rows) {
    if (row.status !== "pending" && row.status !== "approved") continue;
    if (row.expiresAt.getTime() > now) return row;
  }
  return null;
}

export function getApproval(db: Db | Tx, id: string): Approval | null {
  return db.select().from(approvals).where(eq(approvals.id, id)).get() ?? null;
}

type AgentRef = { agentId: string; label: string };

/**
 * Marks pending approvals past their expiry as expired, one approval.expire row each. Runs in
 * the caller's IMMEDIATE transaction; returns how many expired.
 */
export function expireDueApprovals(
  tx: Tx,
  now: number,
  source: "gateway" | "stdio" | "cli" | "console" | "system",
): number {
  const due = tx
    .select()
    .from(approvals)
    .where(eq(approvals.status, "pending"))
    .all()
    .filter((a) => a.expiresAt.getTime() <= now);
  if (due.length === 0) return 0;
  for (const a of due) {
    tx.update(approvals)
      .set({ status: "expired" })
      .where(and(eq(approvals.id, a.id), eq(approvals.status, "pending")))
      .run();
  }
  appendEvents(
    tx,
    due.map((a) => ({
      id: newId("event"),
      occurredAt: now,
      source,
      actorType: "system" as const,
      actorId: null,
      actorLabel: "approval-expiry",
      action: "approval.expire",
      server: a.server,
      tool: a.tool,
      rule: a.rule,
      targetType: "approval",
      targetId: a.id,
      correlationId: a.decisionId,
    })),
  );
  return due.length;
}

/**
 * Parks a call: an approvals row plus its approval.request audit row, in the caller's
 * transaction (the one that also writes the decision row `decisionId`).
 */
export function insertPendingApproval(
  tx: Tx,
  input: {
    id?: string;
    fingerprint: string;
    agent: AgentRef;
    upstreamId: string | null;
    server: string;
    tool: string;
    argumentsForAudit: unknown;
    rule: string;
    reason: string;
    decisionId: string;
    now: number;
    timeoutMs: number;
    source: "gateway" | "stdio";
  },
): Approval {
  const row = tx
    .insert(approvals)
    .values({
      id: input.id ?? newId("approval"),
      fingerprint: input.fingerprint,
      agentId: input.agent.agentId,
      agentName: input.agent.label,
      upstreamId: input.upstreamId ?? "",
      server: input.server,
      tool: input.tool,
      arguments: input.argumentsForAudit,
      rule: input.rule,
      reason: input.reason,
      status: "pending",
      decisionId: input.decisionId,
      requestedAt: new Date(input.now),
      expiresAt: new Date(input.now + input.timeoutMs),
    })
    .returning()
    .get();
  appendEvents(tx, [
    {
      id: newId("event"),
      occurredAt: input.now,
      source: input.source,
      actorType: "agent",
      actorId: input.agent.agentId,
      actorLabel: input.agent.label,
      action: "approval.request",
      server: input.server,
      tool: input.tool,
      rule: input.rule,
      reason: input.reason,
      targetType: "approval",
      targetId: row.id,
      correlationId: input.decisionId,
      detail: canonicalJson({ expiresAt: row.expiresAt.toISOString() }),
    },
  ]);
  return row;
}

/**
 * Consumes an approved approval for the allow decision `decisionId`, exactly once: the update
 * only matches a row still `approved`, so a second consumer in another process gets null.
 * Returns the approval.consume audit row for the caller to append after its decision row.
 */
export function consumeApproval(
  tx: Tx,
  approval: Approval,
  decisionId: string,
  agent: AgentRef,
  now: number,
  source: "gateway" | "stdio",
): AuditFields | null {
  const changed = tx
    .update(approvals)
    .set({ status: "consumed", consumedAt: new Date(now), consumedByDecisionId: decisionId })
    .where(and(eq(approvals.id, approval.id), eq(approvals.status, "approved")))
    .run().changes;
  if (changed !== 1) return null;
  return {
    id: newId("event"),
    occurredAt: now,
    source,
    actorType: "agent",
    actorId: agent.agentId,
    actorLabel: agent.label,
    action: "approval.consume",
    server: approval.server,
    tool: approval.tool,
    rule: approval.rule,
    targetType: "approval",
    targetId: approval.id,
    correlationId: decisionId,
  };
}
