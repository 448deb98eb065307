import { and, eq } from "drizzle-orm";
import { z } from "zod";

import { approvals } from "@/db/schema";
import { AppError, conflict, notFound } from "@/lib/core/errors";
import { appendAudit } from "../audit";
import { actorName, requireEditor, type ServiceContext, withTransaction } from "../context";
import { type ApprovalView, toApprovalView } from "./list";

export const DecideApprovalInput = z
  .object({
    id: z.string().min(1).max(64),
    decision: z.enum(["approve", "deny"]),
    comment: z.string().trim().max(1_000).optional(),
  })
  .strict();
export type DecideApprovalInput = z.input<typeof DecideApprovalInput>;

/**
 * Approves or denies a pending approval. Requires the editor role. Throws NOT_FOUND for an
 * unknown id and CONFLICT when the approval is no longer pending or has expired. Writes
 * approval.approve / approval.deny in the same IMMEDIATE transaction.
 */
export function decideApproval(ctx: ServiceContext, raw: DecideApprovalInput): ApprovalView {
  requireEditor(ctx);
  const input = DecideApprovalInput.parse(raw);
  return withTransaction(ctx, (tx) => {
    const before = tx.select().from(approvals).where(eq(approvals.id, input.id)).get();
    if (!before) throw notFound("approval", input.id);
    const now = ctx.now();
    if (before.status !== "pending")
      throw conflict(`Approval ${input.id} is already ${before.status}`);
    if (before.expiresAt.getTime() <= now.getTime())
      throw conflict(`Approval ${input.id} has expired`);
    const after = tx
      .update(approvals)
      .set({
        status: input.decision === "approve" ? "approved" : "denied",
        decidedBy: actorName(ctx.actor),
        decidedAt: now,
        comment: input.comment || null,
      })
      .where(and(eq(approvals.id, input.id), eq(approvals.status, "pending")))
      .returning()
      .get();
    if (!after) throw new AppError("CONFLICT", `Approval ${input.id} changed while deciding`);
    appendAudit(tx, ctx, {
      action: input.decision === "approve" ? "approval.approve" : "approval.deny",
      target: { type: "approval", id: after.id },
      before: { status: before.status },
      after: { status: after.status, comment: after.comment },
      server: after.server,
      tool: after.tool,
      reason: after.comment,
      extra: { agentId: after.agentId, rule: after.rule, decisionId: after.decisionId },
    });
    return toApprovalView(after);
  });
}
