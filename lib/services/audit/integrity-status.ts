import type { AuditIntegrityView } from "@/lib/core/audit/views";
import { sqliteHandle } from "@/db/client";
import { requireViewer, type ServiceContext } from "../context";
import { lastCheckpoint, listCheckpoints } from "./checkpoints";
import type { AuditIntegritySettings } from "./maintenance";
import { loadSigningKey, trustedKeysPem } from "./signing-key";

/** What the console's integrity panel shows: key, last checkpoint, schedule, retention. */
export function auditIntegrityStatus(
  ctx: ServiceContext,
  settings: AuditIntegritySettings,
): AuditIntegrityView {
  requireViewer(ctx);
  const sql = sqliteHandle(ctx.db);
  const last = lastCheckpoint(ctx.db);
  const counts = sql
    .prepare(
      `SELECT (SELECT count(*) FROM audit_checkpoints) AS checkpoints,
              (SELECT count(*) FROM audit_archives) AS archives,
              (SELECT max(to_seq) FROM audit_archives) AS archivedThrough,
              (SELECT max(created_at) FROM audit_archives) AS lastArchiveAt,
              (SELECT min(seq) FROM audit_events) AS firstSeq,
              (SELECT max(seq) FROM audit_events) AS headSeq`,
    )
    .get() as {
    checkpoints: number;
    archives: number;
    archivedThrough: number | null;
    lastArchiveAt: number | null;
    firstSeq: number | null;
    headSeq: number | null;
  };
  return {
    keyId: loadSigningKey(settings.keySource)?.keyId ?? null,
    lastCheckpoint: last && {
      seq: last.seq,
      hash: last.hash,
      at: last.at,
      keyId: last.keyId,
      reason: last.reason,
    },
    checkpoints: counts.checkpoints,
    schedule: settings.checkpoint,
    retention: {
      days: settings.retentionDays,
      archives: counts.archives,
      archivedThrough: counts.archivedThrough ?? 0,
      lastArchiveAt: counts.lastArchiveAt ? new Date(counts.lastArchiveAt).toISOString() : null,
    },
    firstSeq: counts.firstSeq,
    headSeq: counts.headSeq ?? 0,
  };
}

/** Every stored checkpoint as JSON Lines, for an outside witness to keep. */
export function checkpointsJsonl(ctx: ServiceContext, afterSeq = 0): string {
  requireViewer(ctx);
  return listCheckpoints(ctx.db, afterSeq)
    .map(({ reason: _reason, ...cp }) => `${JSON.stringify(cp)}\n`)
    .join("");
}

/** The PEM public keys that verify the checkpoints: current first, then retired ones. */
export function checkpointPublicKeys(
  ctx: ServiceContext,
  settings: AuditIntegritySettings,
): string {
  requireViewer(ctx);
  return trustedKeysPem(settings.keySource);
}
