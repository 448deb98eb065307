import type { Agent } from "@/db/schema";
import { DisableAgentInput } from "@/lib/core/agents/inputs";
import { requireAdmin, type ServiceContext } from "../context";
import { updateAgent } from "./update";

/**
 * Disables an agent: every one of its keys is refused from the gateway's next request, open
 * sessions included, and no new key can be issued. Its keys and grants are kept. Admins only.
 * Disabling a disabled agent is a no-op. Audits agent.disable.
 */
export function disableAgent(ctx: ServiceContext, raw: DisableAgentInput): Agent {
  requireAdmin(ctx);
  const input = DisableAgentInput.parse(raw);
  return updateAgent(ctx, { agentId: input.agentId, disabled: true });
}

/** Lets a disabled agent's unrevoked keys in again. Admins only. Audits agent.update. */
export function enableAgent(ctx: ServiceContext, raw: DisableAgentInput): Agent {
  requireAdmin(ctx);
  const input = DisableAgentInput.parse(raw);
  return updateAgent(ctx, { agentId: input.agentId, disabled: false });
}
