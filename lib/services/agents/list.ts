import { asc, inArray } from "drizzle-orm";

import { type Agent, type AgentKey, agentKeys, agents } from "@/db/schema";
import { requireViewer, type ServiceContext } from "../context";

/** Every agent with its keys (hash never included in views), by name. */
export function listAgents(ctx: ServiceContext): { agent: Agent; keys: AgentKey[] }[] {
  requireViewer(ctx);
  const rows = ctx.db.select().from(agents).orderBy(asc(agents.name)).all();
  if (rows.length === 0) return [];
  const keys = ctx.db
    .select()
    .from(agentKeys)
    .where(
      inArray(
        agentKeys.agentId,
        rows.map((a) => a.id),
      ),
    )
    .orderBy(asc(agentKeys.createdAt))
    .all();
  return rows.map((agent) => ({ agent, keys: keys.filter((k) => k.agentId === agent.id) }));
}
