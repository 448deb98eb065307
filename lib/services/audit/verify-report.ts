import type { Db } from "@/db/client";
import type { ChainVerification } from "@/lib/core/audit/views";
import { appendAudit } from "./append";
import { requireViewer, type ServiceContext, withTransaction } from "../context";
import { verifyChain } from "./verify";

/**
 * Recomputes the hash chain (read-only) and records audit.verify with the result. Any signed-in
 * user may run it: it changes nothing but adds its own record.
 */
export function verifyAuditChain(ctx: ServiceContext): ChainVerification {
  requireViewer(ctx);
  const report = verifyChain(ctx.db as Db);
  const checkedAt = ctx.now().toISOString();
  withTransaction(ctx, (tx) => {
    appendAudit(tx, ctx, {
      action: "audit.verify",
      target: { type: "audit", id: "audit_events" },
      reason: report.ok ? null : report.why,
      extra: { result: report },
    });
  });
  return { ...report, checkedAt };
}
