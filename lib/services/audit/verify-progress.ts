import type { Db } from "@/db/client";
import type { ChainVerification } from "@/lib/core/audit/views";
import { requireViewer, type ServiceContext } from "../context";
import { GENESIS_HASH } from "./chain";
import { offerVerifiedPrefix, walkChainAsync } from "./chain-walk";
import type { KeySource } from "./signing-key";
import { archiveBoundary } from "./verify";
import { verifyAuditChain } from "./verify-report";

/**
 * The console's Verify with progress: walks the chain from the archive boundary (or genesis) in
 * steps, reporting rows checked and yielding between steps so the server keeps answering, then
 * runs the full verification (checkpoints, signatures, the audit.verify record), which starts
 * from the walked prefix instead of walking it again.
 */
export async function verifyAuditChainWithProgress(
  ctx: ServiceContext,
  keySource: KeySource | undefined,
  onProgress: (done: number, total: number) => void,
): Promise<ChainVerification> {
  requireViewer(ctx);
  const db = ctx.db as Db;
  const start = archiveBoundary(db) ?? { seq: 0, hash: GENESIS_HASH };
  const prefix = await walkChainAsync(db, { ...start, rows: 0 }, { onProgress });
  offerVerifiedPrefix(db, start, prefix);
  return verifyAuditChain(ctx, keySource);
}
