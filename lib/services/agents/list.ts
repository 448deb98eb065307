import { asc, eq, inArray } from "drizzle-orm";

import { type Agent, type AgentKey, agentKeys, agents } from "@/db/schema";
import type { AgentView } from "@/lib/core/agents/views";
import { requireViewer, type ServiceContext } from "../context";
import { getAgentOrThrow, toAgentView } from "./internal";

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

/** One agent with its keys, as the console shows it. Viewer role; NOT_FOUND when unknown. */
export function getAgentView(ctx: ServiceContext, agentId: string): AgentView {
  requireViewer(ctx);
  const agent = getAgentOrThrow(ctx.db, agentId);
  const keys = ctx.db
    .select()
    .from(agentKeys)
    .where(eq(agentKeys.agentId, agent.id))
    .orderBy(asc(agentKeys.createdAt))
    .all();
  return toAgentView(agent, keys);
}
