import { eq } from "drizzle-orm";

import { type Agent, agents } from "@/db/schema";
import { DisableAgentInput } from "@/lib/core/agents/inputs";
import { AppError } from "@/lib/core/errors";
import { appendAudit } from "../audit/append";
import { bumpConfigVersion } from "../config-version";
import { requireAdmin, type ServiceContext, withTransaction } from "../context";
import { agentSnapshot, getAgentOrThrow } from "./internal";

/**
 * Disables an agent: every one of its keys is refused from the gateway's next request, open
 * sessions included, and no new key can be issued. Its keys and grants are kept. Admins only.
 * Disabling a disabled agent is a no-op. Audits agent.disable.
 */
export function disableAgent(ctx: ServiceContext, raw: DisableAgentInput): Agent {
  requireAdmin(ctx);
  const input = DisableAgentInput.parse(raw);
  return setDisabled(ctx, input.agentId, true);
}

/** Lets a disabled agent's unrevoked keys in again. Admins only. Audits agent.update. */
export function enableAgent(ctx: ServiceContext, raw: DisableAgentInput): Agent {
  requireAdmin(ctx);
  const input = DisableAgentInput.parse(raw);
  return setDisabled(ctx, input.agentId, false);
}

function setDisabled(ctx: ServiceContext, agentId: string, disabled: boolean): Agent {
  return withTransaction(ctx, (tx) => {
    const before = getAgentOrThrow(tx, agentId);
    if ((before.disabledAt !== null) === disabled) return before;
    const now = ctx.now();
    const after = tx
      .update(agents)
      .set({ disabledAt: disabled ? now : null, updatedAt: now })
      .where(eq(agents.id, before.id))
      .returning()
      .get();
    if (!after) throw new AppError("INTERNAL", "Agent disappeared during update");
    bumpConfigVersion(tx, now);
    appendAudit(tx, ctx, {
      action: disabled ? "agent.disable" : "agent.update",
      target: { type: "agent", id: after.id },
      before: agentSnapshot(before),
      after: agentSnapshot(after),
    });
    return after;
  });
}
