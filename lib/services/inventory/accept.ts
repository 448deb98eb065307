import { eq } from "drizzle-orm";
import { z } from "zod";

import { tools } from "@/db/schema";
import { conflict, notFound } from "@/lib/core/errors";
import { appendAudit } from "../audit";
import { bumpConfigVersion } from "../config-version";
import { requireAdmin, type ServiceContext, withTransaction } from "../context";
import { type ListedTool, toolDefinitionHash } from "./record";
import { classifyTool } from "@/lib/core/risk";
import { type ToolView, toToolView } from "./list";
import { upstreams } from "@/db/schema";

export const AcceptToolChangeInput = z.object({ toolId: z.string().min(1).max(64) }).strict();
export type AcceptToolChangeInput = z.input<typeof AcceptToolChangeInput>;

/**
 * Accepts a quarantined tool's new definition: it becomes the pinned one and the tool is
 * listed and callable again. Admins only. NOT_FOUND for an unknown tool, CONFLICT when the tool
 * is not quarantined. Writes tool.accept and bumps config_version in one transaction.
 */
export function acceptToolChange(ctx: ServiceContext, raw: AcceptToolChangeInput): ToolView {
  requireAdmin(ctx);
  const input = AcceptToolChangeInput.parse(raw);
  return withTransaction(ctx, (tx) => {
    const before = tx.select().from(tools).where(eq(tools.id, input.toolId)).get();
    if (!before) throw notFound("tool", input.toolId);
    if (before.status !== "quarantined" || !before.pendingDefinition || !before.pendingHash) {
      throw conflict(`Tool ${before.name} is not waiting for review`);
    }
    const def = before.pendingDefinition as ListedTool;
    const hash = toolDefinitionHash(def);
    const risk = classifyTool(def as Parameters<typeof classifyTool>[0]);
    const now = ctx.now();
    const after = tx
      .update(tools)
      .set({
        definition: def,
        definitionHash: hash,
        approvedHash: hash,
        description: typeof def.description === "string" ? def.description : null,
        pendingDefinition: null,
        pendingHash: null,
        status: "active",
        quarantinedAt: null,
        riskCategory: risk.category,
        riskLevel: risk.level,
        riskEvidence: [...risk.evidence],
        riskConfidence: risk.confidence,
      })
      .where(eq(tools.id, before.id))
      .returning()
      .get();
    if (!after) throw notFound("tool", input.toolId);
    const server =
      tx
        .select({ name: upstreams.name })
        .from(upstreams)
        .where(eq(upstreams.id, after.upstreamId))
        .get()?.name ?? null;
    bumpConfigVersion(tx, now);
    appendAudit(tx, ctx, {
      action: "tool.accept",
      target: { type: "tool", id: after.id },
      server,
      tool: after.name,
      before: {
        status: before.status,
        approvedHash: before.approvedHash,
        definition: before.definition,
      },
      after: {
        status: after.status,
        approvedHash: after.approvedHash,
        definition: after.definition,
      },
    });
    return toToolView(after, server ?? "");
  });
}
