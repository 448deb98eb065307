import { eq } from "drizzle-orm";

import type { Db, Tx } from "@/db/client";
import { type Agent, type AgentKey, agents } from "@/db/schema";
import { notFound } from "@/lib/core/errors";
import type { AgentKeyView, AgentView } from "@/lib/core/agents/views";

export function getAgentOrThrow(db: Db | Tx, id: string): Agent {
  const row = db.select().from(agents).where(eq(agents.id, id)).get();
  if (!row) throw notFound("agent", id);
  return row;
}

export function agentSnapshot(a: Agent): Record<string, unknown> {
  return {
    name: a.name,
    owner: a.owner,
    description: a.description,
    disabled: a.disabledAt !== null,
  };
}

/** Never the hash: the prefix is all anyone needs to recognise a key. */
export function keySnapshot(k: AgentKey): Record<string, unknown> {
  return {
    agentId: k.agentId,
    name: k.name,
    prefix: k.prefix,
    expiresAt: k.expiresAt?.toISOString() ?? null,
    revoked: k.revokedAt !== null,
  };
}

export function toAgentKeyView(k: AgentKey): AgentKeyView {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    createdAt: k.createdAt.toISOString(),
    expiresAt: k.expiresAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  };
}

export function toAgentView(a: Agent, keys: AgentKey[] = []): AgentView {
  return {
    id: a.id,
    name: a.name,
    owner: a.owner,
    description: a.description,
    disabled: a.disabledAt !== null,
    createdAt: a.createdAt.toISOString(),
    keys: keys.map(toAgentKeyView),
  };
}
