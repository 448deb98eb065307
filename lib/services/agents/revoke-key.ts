import { eq } from "drizzle-orm";

import { type AgentKey, agentKeys } from "@/db/schema";
import { RevokeAgentKeyInput } from "@/lib/core/agents/inputs";
import { AppError, notFound } from "@/lib/core/errors";
import { appendAudit } from "../audit/append";
import { bumpConfigVersion } from "../config-version";
import { requireAdmin, type ServiceContext, withTransaction } from "../context";
import { keySnapshot } from "./internal";

/**
 * Revokes an agent key; the gateway refuses it from its next request. Admins only.
 * Revoking an already revoked key changes nothing and writes no audit row.
 */
export function revokeAgentKey(ctx: ServiceContext, raw: RevokeAgentKeyInput): AgentKey {
  requireAdmin(ctx);
  const input = RevokeAgentKeyInput.parse(raw);
  return withTransaction(ctx, (tx) => {
    const before = tx.select().from(agentKeys).where(eq(agentKeys.id, input.keyId)).get();
    if (!before) throw notFound("agent key", input.keyId);
    if (before.revokedAt) return before;
    const now = ctx.now();
    const after = tx
      .update(agentKeys)
      .set({ revokedAt: now })
      .where(eq(agentKeys.id, before.id))
      .returning()
      .get();
    if (!after) throw new AppError("INTERNAL", "Key disappeared during revocation");
    bumpConfigVersion(tx, now);
    appendAudit(tx, ctx, {
      action: "agent_key.revoke",
      target: { type: "agent_key", id: after.id },
      before: keySnapshot(before),
      after: keySnapshot(after),
    });
    return after;
  });
}
