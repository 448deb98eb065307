import { and, desc, eq, isNull, type SQL } from "drizzle-orm";

import { agents, type Grant, grants, upstreams } from "@/db/schema";
import { ListGrantsInput } from "@/lib/core/grants/inputs";
import { requireViewer, type ServiceContext } from "../context";

export type GrantRow = { grant: Grant; agentName: string | null; server: string | null };

/** Grants, newest first, optionally for one agent and/or server; revoked ones on request. */
export function listGrants(ctx: ServiceContext, raw: ListGrantsInput = {}): GrantRow[] {
  requireViewer(ctx);
  const input = ListGrantsInput.parse(raw);
  const where: SQL[] = [];
  if (input.agentId) where.push(eq(grants.agentId, input.agentId));
  if (input.upstreamId) where.push(eq(grants.upstreamId, input.upstreamId));
  if (!input.includeRevoked) where.push(isNull(grants.revokedAt));
  return ctx.db
    .select({ grant: grants, agentName: agents.name, server: upstreams.name })
    .from(grants)
    .leftJoin(agents, eq(agents.id, grants.agentId))
    .leftJoin(upstreams, eq(upstreams.id, grants.upstreamId))
    .where(and(...where))
    .orderBy(desc(grants.createdAt))
    .all();
}
