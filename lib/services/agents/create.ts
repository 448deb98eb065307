import { eq } from "drizzle-orm";

import { type Agent, agents } from "@/db/schema";
import { CreateAgentInput } from "@/lib/core/agents/inputs";
import { conflict } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import { appendAudit } from "../audit/append";
import { bumpConfigVersion } from "../config-version";
import { requireAdmin, type ServiceContext, withTransaction } from "../context";
import { agentSnapshot } from "./internal";

/** Creates an agent identity. Admins only; CONFLICT when the name is taken. Audits agent.create. */
export function createAgent(ctx: ServiceContext, raw: CreateAgentInput): Agent {
  requireAdmin(ctx);
  const input = CreateAgentInput.parse(raw);
  return withTransaction(ctx, (tx) => {
    if (tx.select({ id: agents.id }).from(agents).where(eq(agents.name, input.name)).get()) {
      throw conflict(`An agent named ${input.name} already exists`, { field: "name" });
    }
    const now = ctx.now();
    const row = tx
      .insert(agents)
      .values({
        id: newId("agent"),
        name: input.name,
        owner: input.owner || null,
        description: input.description || null,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    bumpConfigVersion(tx, now);
    appendAudit(tx, ctx, {
      action: "agent.create",
      target: { type: "agent", id: row.id },
      after: agentSnapshot(row),
    });
    return row;
  });
}
