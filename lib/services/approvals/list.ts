import { and, desc, eq, type SQL } from "drizzle-orm";
import { z } from "zod";

import { type Approval, APPROVAL_STATUSES, approvals } from "@/db/schema";
import { requireViewer, type ServiceContext } from "../context";

export const ListApprovalsInput = z
  .object({
    status: z.enum(APPROVAL_STATUSES).optional(),
    server: z.string().min(1).max(100).optional(),
    limit: z.number().int().min(1).max(500).default(100),
  })
  .strict();
export type ListApprovalsInput = z.input<typeof ListApprovalsInput>;

export type ApprovalView = {
  id: string;
  status: Approval["status"];
  agentId: string;
  agentName: string;
  server: string;
  tool: string;
  arguments: unknown;
  rule: string;
  reason: string | null;
  decisionId: string;
  requestedAt: string;
  expiresAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  comment: string | null;
  consumedAt: string | null;
  consumedByDecisionId: string | null;
};

export function toApprovalView(a: Approval): ApprovalView {
  return {
    id: a.id,
    status: a.status,
    agentId: a.agentId,
    agentName: a.agentName,
    server: a.server,
    tool: a.tool,
    arguments: a.arguments,
    rule: a.rule,
    reason: a.reason,
    decisionId: a.decisionId,
    requestedAt: a.requestedAt.toISOString(),
    expiresAt: a.expiresAt.toISOString(),
    decidedBy: a.decidedBy,
    decidedAt: a.decidedAt?.toISOString() ?? null,
    comment: a.comment,
    consumedAt: a.consumedAt?.toISOString() ?? null,
    consumedByDecisionId: a.consumedByDecisionId,
  };
}

/**
 * The approvals queue, newest first. Pending approvals past their expiry are reported as
 * `expired` (the row itself is marked by the next gateway or decision that touches it).
 * Requires the viewer role.
 */
export function listApprovals(ctx: ServiceContext, raw: ListApprovalsInput = {}): ApprovalView[] {
  requireViewer(ctx);
  const input = ListApprovalsInput.parse(raw);
  const now = ctx.now().getTime();
  const where: SQL[] = [];
  if (input.status && input.status !== "expired") where.push(eq(approvals.status, input.status));
  if (input.server) where.push(eq(approvals.server, input.server));
  const rows = ctx.db
    .select()
    .from(approvals)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(approvals.requestedAt))
    .limit(input.status === "expired" ? 5_000 : input.limit)
    .all()
    .map((a) =>
      a.status === "pending" && a.expiresAt.getTime() <= now
        ? { ...a, status: "expired" as const }
        : a,
    );
  const filtered = input.status ? rows.filter((a) => a.status === input.status) : rows;
  return filtered.slice(0, input.limit).map(toApprovalView);
}
