import type { Agent, AgentKey } from "@/db/schema";
import type { CreateAgentInput } from "@/lib/core/agents/inputs";
import { requireAdmin, type ServiceContext, withTransaction } from "../context";
import { createAgent } from "./create";
import { createAgentKey } from "./create-key";

/**
 * Creates an agent and its first key in one transaction, so a script never holds an agent
 * without a key. Admins only. `key` is the only copy of the secret. Audits agent.create and
 * agent_key.create, as the two console steps do.
 */
export function createAgentWithKey(
  ctx: ServiceContext,
  raw: CreateAgentInput,
  keyName = "default",
): { agent: Agent; key: string; keyRow: AgentKey } {
  requireAdmin(ctx);
  return withTransaction(ctx, (tx) => {
    const inTx = { ...ctx, db: tx };
    const agent = createAgent(inTx, raw);
    const { key, row } = createAgentKey(inTx, { agentId: agent.id, name: keyName });
    return { agent, key, keyRow: row };
  });
}
