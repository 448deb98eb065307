import { eq, or } from "drizzle-orm";

import { type Agent, type AgentKey, agentKeys, agents } from "@/db/schema";
import { requireViewer, type ServiceContext } from "../context";
import { AGENT_KEY_PREFIX, hashAgentKey } from "./key-format";

/**
 * Keys whose id or display prefix is `ref`, or whose secret is `ref` (so a leaked key can be
 * named as found), with their agents. Display prefixes are short: more than one key can match.
 */
export function findAgentKeys(ctx: ServiceContext, ref: string): { key: AgentKey; agent: Agent }[] {
  requireViewer(ctx);
  const text = ref.trim();
  const bySecret =
    text.startsWith(AGENT_KEY_PREFIX) && text.length > AGENT_KEY_PREFIX.length + 6
      ? eq(agentKeys.keyHash, hashAgentKey(text))
      : undefined;
  return ctx.db
    .select({ key: agentKeys, agent: agents })
    .from(agentKeys)
    .innerJoin(agents, eq(agents.id, agentKeys.agentId))
    .where(or(eq(agentKeys.id, text), eq(agentKeys.prefix, text), bySecret))
    .orderBy(agentKeys.createdAt)
    .all();
}
