import { type AgentKey, agentKeys } from "@/db/schema";
import { CreateAgentKeyInput } from "@/lib/core/agents/inputs";
import { conflict, invalid } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import { appendAudit } from "../audit/append";
import { bumpConfigVersion } from "../config-version";
import { actorName, requireAdmin, type ServiceContext, withTransaction } from "../context";
import { getAgentOrThrow, keySnapshot } from "./internal";
import { generateAgentKey } from "./key-format";

/**
 * Issues an API key for an agent. Admins only. The returned `key` is the only copy of the
 * secret (the row keeps its SHA-256 and a display prefix). Audits agent_key.create.
 */
export function createAgentKey(
  ctx: ServiceContext,
  raw: CreateAgentKeyInput,
): { key: string; row: AgentKey } {
  requireAdmin(ctx);
  const input = CreateAgentKeyInput.parse(raw);
  const now = ctx.now();
  if (input.expiresAt && input.expiresAt.getTime() <= now.getTime()) {
    throw invalid("Expiry must be in the future", { field: "expiresAt" });
  }
  const generated = generateAgentKey();
  const row = withTransaction(ctx, (tx) => {
    const agent = getAgentOrThrow(tx, input.agentId);
    if (agent.disabledAt) throw conflict(`Agent ${agent.name} is disabled`);
    const inserted = tx
      .insert(agentKeys)
      .values({
        id: newId("agentKey"),
        agentId: agent.id,
        name: input.name,
        prefix: generated.prefix,
        keyHash: generated.hash,
        createdBy: actorName(ctx.actor),
        createdAt: now,
        expiresAt: input.expiresAt ?? null,
      })
      .returning()
      .get();
    bumpConfigVersion(tx, now);
    appendAudit(tx, ctx, {
      action: "agent_key.create",
      target: { type: "agent_key", id: inserted.id },
      after: keySnapshot(inserted),
    });
    return inserted;
  });
  return { key: generated.key, row };
}
