import { eq } from "drizzle-orm";

import { type Grant, grants, upstreams } from "@/db/schema";
import { AppError, notFound } from "@/lib/core/errors";
import { RevokeGrantInput } from "@/lib/core/grants/inputs";
import { appendAudit } from "../audit/append";
import { bumpConfigVersion } from "../config-version";
import { requireEditor, type ServiceContext, withTransaction } from "../context";
import { grantSnapshot } from "./internal";

/** Revokes a grant (kept for history). Editors and admins. Revoking twice is a no-op. */
export function revokeGrant(ctx: ServiceContext, raw: RevokeGrantInput): Grant {
  requireEditor(ctx);
  const input = RevokeGrantInput.parse(raw);
  return withTransaction(ctx, (tx) => {
    const before = tx.select().from(grants).where(eq(grants.id, input.grantId)).get();
    if (!before) throw notFound("grant", input.grantId);
    if (before.revokedAt) return before;
    const now = ctx.now();
    const after = tx
      .update(grants)
      .set({ revokedAt: now })
      .where(eq(grants.id, before.id))
      .returning()
      .get();
    if (!after) throw new AppError("INTERNAL", "Grant disappeared during revocation");
    const server = tx
      .select({ name: upstreams.name })
      .from(upstreams)
      .where(eq(upstreams.id, after.upstreamId))
      .get();
    bumpConfigVersion(tx, now);
    appendAudit(tx, ctx, {
      action: "grant.revoke",
      target: { type: "grant", id: after.id },
      server: server?.name ?? null,
      tool: after.toolPattern,
      before: grantSnapshot(before),
      after: grantSnapshot(after),
    });
    return after;
  });
}
