import type { Db } from "@/db/client";
import type { ChainVerification } from "@/lib/core/audit/views";
import { requireViewer, type ServiceContext } from "../context";
import { GENESIS_HASH } from "./chain";
import { offerVerifiedPrefix, walkChainAsync } from "./chain-walk";
import { archiveBoundary } from "./verify";
import { verifyAuditChain, type VerifySources } from "./verify-report";

/**
 * The console's Verify with progress: walks the chain from the archive boundary (or genesis) in
 * steps, reporting rows checked and yielding between steps so the server keeps answering, then
 * runs the full verification (checkpoints, signatures, the audit.verify record), which starts
 * from the walked prefix instead of walking it again.
 */
export async function verifyAuditChainWithProgress(
  ctx: ServiceContext,
  sources: VerifySources,
  onProgress: (done: number, total: number) => void,
): Promise<ChainVerification> {
  requireViewer(ctx);
  await walkBeforeVerifying(ctx.db as Db, onProgress);
  return verifyAuditChain(ctx, sources);
}

/**
 * Walks the chain from the archive boundary (or genesis) to the head, on two threads when it is
 * long, reporting progress, and hands the verified prefix to the next verification on this
 * handle, which then checks only what the walk did not (checkpoints, rows appended since). Call
 * the verification right after, synchronously.
 */
export async function walkBeforeVerifying(
  db: Db,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const start = archiveBoundary(db) ?? { seq: 0, hash: GENESIS_HASH };
  const prefix = await walkChainAsync(db, { ...start, rows: 0 }, { onProgress });
  offerVerifiedPrefix(db, start, prefix);
}
