import type { Db } from "@/db/client";
import type { ChainVerification } from "@/lib/core/audit/views";
import { appendAudit } from "./append";
import { requireViewer, type ServiceContext, withTransaction } from "../context";
import { archiveFilesProblem, checkArchiveFiles } from "./archive-files";
import { verifyIntegrity } from "./integrity";
import { type KeySource, localTrustedKeys } from "./signing-key";

/** Where a verification finds this host's public keys and the archive files. */
export type VerifySources = { keySource?: KeySource; archiveDir?: string };

/**
 * Verifies the log from the archive boundary to the head against every signed checkpoint
 * (signatures checked with this host's public keys), checks each recorded archive against its
 * file in the archive folder, and records audit.verify with the result. Any signed-in user may
 * run it: it changes nothing but adds its own record.
 */
export async function verifyAuditChain(
  ctx: ServiceContext,
  sources: VerifySources = {},
): Promise<ChainVerification> {
  requireViewer(ctx);
  const keys = sources.keySource ? localTrustedKeys(sources.keySource) : null;
  // First and synchronously: it takes over a chain walk that ran just before.
  const report = verifyIntegrity(ctx.db as Db, { keys: keys?.size ? keys : null });
  const archives =
    sources.archiveDir && report.boundarySeq > 0
      ? await checkArchiveFiles(ctx.db as Db, sources.archiveDir)
      : null;
  const filesProblem = report.ok ? archiveFilesProblem(archives) : null;
  const checkedAt = ctx.now().toISOString();
  withTransaction(ctx, (tx) => {
    appendAudit(tx, ctx, {
      action: "audit.verify",
      target: { type: "audit", id: "audit_events" },
      reason: report.ok ? filesProblem : report.why,
      extra: { result: { ...report, archives } },
    });
  });
  const facts = {
    checkedAt,
    boundarySeq: report.boundarySeq,
    lastCheckpoint: report.lastCheckpoint,
    checkpoints: report.checkpoints,
    signaturesChecked: report.signaturesChecked,
    archives,
  };
  if (report.ok && !filesProblem)
    return {
      ok: true,
      rows: report.rows,
      headSeq: report.headSeq,
      headHash: report.headHash,
      ...facts,
    };
  return {
    ok: false,
    rows: report.rows,
    brokenSeq: report.ok ? (archives?.differ[0]?.fromSeq ?? 0) : (report.brokenSeq ?? 0),
    why: (report.ok ? filesProblem : report.why) ?? "",
    brokenIn: report.ok ? "archive" : "log",
    ...facts,
  };
}
