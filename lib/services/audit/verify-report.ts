import type { Db } from "@/db/client";
import type { ChainVerification } from "@/lib/core/audit/views";
import { appendAudit } from "./append";
import { requireViewer, type ServiceContext, withTransaction } from "../context";
import { verifyIntegrity } from "./integrity";
import { type KeySource, localTrustedKeys } from "./signing-key";

/**
 * Verifies the log from the archive boundary to the head against every signed checkpoint
 * (signatures checked with this host's public keys) and records audit.verify with the result.
 * Any signed-in user may run it: it changes nothing but adds its own record.
 */
export function verifyAuditChain(ctx: ServiceContext, keySource?: KeySource): ChainVerification {
  requireViewer(ctx);
  const keys = keySource ? localTrustedKeys(keySource) : null;
  const report = verifyIntegrity(ctx.db as Db, { keys: keys?.size ? keys : null });
  const checkedAt = ctx.now().toISOString();
  withTransaction(ctx, (tx) => {
    appendAudit(tx, ctx, {
      action: "audit.verify",
      target: { type: "audit", id: "audit_events" },
      reason: report.ok ? null : report.why,
      extra: { result: report },
    });
  });
  const facts = {
    checkedAt,
    boundarySeq: report.boundarySeq,
    lastCheckpoint: report.lastCheckpoint,
    checkpoints: report.checkpoints,
    signaturesChecked: report.signaturesChecked,
  };
  return report.ok
    ? { ok: true, rows: report.rows, headSeq: report.headSeq, headHash: report.headHash, ...facts }
    : {
        ok: false,
        rows: report.rows,
        brokenSeq: report.brokenSeq ?? 0,
        why: report.why ?? "",
        ...facts,
      };
}
