import type { Db } from "@/db/client";
import type { ApprovalStatus } from "@/db/schema";
import { decideApproval, listApprovals } from "@/lib/services/approvals";
import { cliContext } from "./audit";

export function approvalsList(
  db: Db,
  opts: { status?: string; json?: boolean; limit?: number },
): number {
  const views = listApprovals(cliContext(db), {
    ...(opts.status ? { status: opts.status as ApprovalStatus } : {}),
    limit: opts.limit ?? 100,
  });
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
    return 0;
  }
  if (views.length === 0) {
    process.stdout.write(`no ${opts.status ?? ""} approvals\n`.replace("  ", " "));
    return 0;
  }
  for (const a of views) {
    process.stdout.write(
      `${a.id}  ${a.status.padEnd(8)}  ${a.server}/${a.tool}  agent ${a.agentName}  rule "${a.rule}"  requested ${a.requestedAt}  expires ${a.expiresAt}\n` +
        `    arguments ${JSON.stringify(a.arguments)}${a.decidedBy ? `\n    decided by ${a.decidedBy}${a.comment ? `: ${a.comment}` : ""}` : ""}\n`,
    );
  }
  return 0;
}

export function approvalsDecide(
  db: Db,
  id: string,
  decision: "approve" | "deny",
  comment?: string,
): number {
  const view = decideApproval(cliContext(db), { id, decision, ...(comment ? { comment } : {}) });
  process.stdout.write(
    `${view.id} ${view.status} (${view.server}/${view.tool} for ${view.agentName})\n`,
  );
  return 0;
}
