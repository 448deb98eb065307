import { and, asc, eq, type SQL } from "drizzle-orm";
import { z } from "zod";

import { type Tool, TOOL_STATUSES, tools, upstreams } from "@/db/schema";
import { classifyTool, type RecommendedRule } from "@/lib/core/risk";
import { requireViewer, type ServiceContext } from "../context";

export const ListToolsInput = z
  .object({
    server: z.string().min(1).max(100).optional(),
    status: z.enum(TOOL_STATUSES).optional(),
  })
  .strict();
export type ListToolsInput = z.input<typeof ListToolsInput>;

export type ToolView = {
  id: string;
  server: string;
  name: string;
  description: string | null;
  status: Tool["status"];
  riskCategory: Tool["riskCategory"];
  riskLevel: Tool["riskLevel"];
  riskEvidence: string[];
  riskConfidence: number;
  recommendedRule: RecommendedRule;
  /** Where the server's annotations disagree with what the name, description and schema say. */
  hintConflicts: string[];
  definition: Record<string, unknown>;
  approvedHash: string;
  pendingDefinition: Record<string, unknown> | null;
  pendingHash: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  quarantinedAt: string | null;
};

/**
 * The rating comes from the current classifier over the pinned definition (pure, microseconds),
 * so a tool recorded by an older classifier is shown as it is rated today.
 */
export function toToolView(t: Tool, server: string): ToolView {
  const risk = classifyTool(t.definition as Parameters<typeof classifyTool>[0]);
  return {
    id: t.id,
    server,
    name: t.name,
    description: t.description,
    status: t.status,
    riskCategory: risk.category,
    riskLevel: risk.level,
    riskEvidence: risk.evidence,
    riskConfidence: risk.confidence,
    recommendedRule: risk.recommendedRule,
    hintConflicts: risk.hintConflicts,
    definition: t.definition,
    approvedHash: t.approvedHash,
    pendingDefinition: t.pendingDefinition ?? null,
    pendingHash: t.pendingHash,
    firstSeenAt: t.firstSeenAt.toISOString(),
    lastSeenAt: t.lastSeenAt.toISOString(),
    quarantinedAt: t.quarantinedAt?.toISOString() ?? null,
  };
}

/** The tool inventory, by server then name. Requires the viewer role. */
export function listTools(ctx: ServiceContext, raw: ListToolsInput = {}): ToolView[] {
  requireViewer(ctx);
  const input = ListToolsInput.parse(raw);
  const where: SQL[] = [];
  if (input.server) where.push(eq(upstreams.name, input.server));
  if (input.status) where.push(eq(tools.status, input.status));
  return ctx.db
    .select({ tool: tools, server: upstreams.name })
    .from(tools)
    .innerJoin(upstreams, eq(upstreams.id, tools.upstreamId))
    .where(where.length ? and(...where) : undefined)
    .orderBy(asc(upstreams.name), asc(tools.name))
    .all()
    .map((r) => toToolView(r.tool, r.server));
}

/** One tool by server and name, for the CLI's `tools accept <server> <tool>`. Viewer role. */
export function findTool(ctx: ServiceContext, server: string, name: string): ToolView | null {
  requireViewer(ctx);
  const row = ctx.db
    .select({ tool: tools, server: upstreams.name })
    .from(tools)
    .innerJoin(upstreams, eq(upstreams.id, tools.upstreamId))
    .where(and(eq(upstreams.name, server), eq(tools.name, name)))
    .get();
  return row ? toToolView(row.tool, row.server) : null;
}
