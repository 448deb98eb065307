import { and, eq, ne } from "drizzle-orm";

import { type Agent, agents } from "@/db/schema";
import { UpdateAgentInput } from "@/lib/core/agents/inputs";
import { AppError, conflict } from "@/lib/core/errors";
import { appendAudit } from "../audit/append";
import { bumpConfigVersion } from "../config-version";
import { requireAdmin, type ServiceContext, withTransaction } from "../context";
import { agentSnapshot, getAgentOrThrow } from "./internal";

/**
 * Renames an agent, changes its owner or description, or disables or re-enables it: the whole
 * input is validated first, then one transaction writes one audit row. Admins only (agents are
 * identities). Fields left out stay as they are; CONFLICT when the new name is taken. Audits
 * agent.disable when it disables, else agent.update (nothing is written when nothing changed).
 */
export function updateAgent(ctx: ServiceContext, raw: UpdateAgentInput): Agent {
  requireAdmin(ctx);
  const input = UpdateAgentInput.parse(raw);
  return withTransaction(ctx, (tx) => {
    const before = getAgentOrThrow(tx, input.agentId);
    const name = input.name ?? before.name;
    if (
      name !== before.name &&
      tx
        .select({ id: agents.id })
        .from(agents)
        .where(and(eq(agents.name, name), ne(agents.id, before.id)))
        .get()
    ) {
      throw conflict(`An agent named ${name} already exists`, { field: "name" });
    }
    const owner = input.owner === undefined ? before.owner : input.owner || null;
    const description =
      input.description === undefined ? before.description : input.description || null;
    const disabled = input.disabled ?? before.disabledAt !== null;
    if (
      name === before.name &&
      owner === before.owner &&
      description === before.description &&
      disabled === (before.disabledAt !== null)
    )
      return before;
    const now = ctx.now();
    const after = tx
      .update(agents)
      .set({
        name,
        owner,
        description,
        disabledAt: disabled ? (before.disabledAt ?? now) : null,
        updatedAt: now,
      })
      .where(eq(agents.id, before.id))
      .returning()
      .get();
    if (!after) throw new AppError("INTERNAL", "Agent disappeared during update");
    // Agent names appear in grants and audit rows the gateway writes, and it refuses keys of
    // disabled agents.
    bumpConfigVersion(tx, now);
    appendAudit(tx, ctx, {
      action: disabled && before.disabledAt === null ? "agent.disable" : "agent.update",
      target: { type: "agent", id: after.id },
      before: agentSnapshot(before),
      after: agentSnapshot(after),
    });
    return after;
  });
}
