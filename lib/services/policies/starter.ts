import { and, asc, eq, ne } from "drizzle-orm";

import { tools } from "@/db/schema";
import { renderStarterPolicy } from "@/lib/core/risk";
import { requireViewer, type ServiceContext } from "../context";
import { getUpstreamOrThrow } from "../upstreams/internal";

type StarterTool = Parameters<typeof renderStarterPolicy>[0][number];

/**
 * A starter policy for a server, rendered from its recorded tool inventory (every tool the
 * gateway has seen and not quarantined) with the rule each tool's risk recommends. Nothing is
 * saved. Viewer role; empty inventory gives a policy that lists no tools (default deny).
 */
export function renderStarterPolicyForUpstream(
  ctx: ServiceContext,
  upstreamId: string,
): { yaml: string; tools: number } {
  requireViewer(ctx);
  const upstream = getUpstreamOrThrow(ctx.db, upstreamId);
  const rows = ctx.db
    .select({ definition: tools.definition })
    .from(tools)
    .where(and(eq(tools.upstreamId, upstream.id), ne(tools.status, "quarantined")))
    .orderBy(asc(tools.name))
    .all();
  const defs = rows.map((r) => r.definition as StarterTool);
  return {
    yaml: renderStarterPolicy(defs, { description: upstream.description ?? upstream.name }),
    tools: defs.length,
  };
}
