import { type Grant, grants } from "@/db/schema";
import { invalid } from "@/lib/core/errors";
import { CreateGrantInput } from "@/lib/core/grants/inputs";
import { newId } from "@/lib/core/ids";
import { getAgentOrThrow } from "../agents/internal";
import { appendAudit } from "../audit/append";
import { bumpConfigVersion } from "../config-version";
import { actorName, requireEditor, type ServiceContext, withTransaction } from "../context";
import { getUpstreamOrThrow } from "../upstreams/internal";
import { grantSnapshot } from "./internal";

/**
 * Grants (or explicitly denies) an agent a tool pattern on one server, optionally with its own
 * rolling rate limit and an expiry. Editors and admins. Enforced from the gateway's next call
 * (bumps config_version). Audits grant.create.
 */
export function createGrant(ctx: ServiceContext, raw: CreateGrantInput): Grant {
  requireEditor(ctx);
  const input = CreateGrantInput.parse(raw);
  const now = ctx.now();
  if (input.expiresAt && input.expiresAt.getTime() <= now.getTime()) {
    throw invalid("Expiry must be in the future", { field: "expiresAt" });
  }
  if (input.effect === "deny" && input.rateLimit) {
    throw invalid("A deny grant cannot carry a rate limit", { field: "rateLimit" });
  }
  return withTransaction(ctx, (tx) => {
    const agent = getAgentOrThrow(tx, input.agentId);
    const upstream = getUpstreamOrThrow(tx, input.upstreamId);
    const row = tx
      .insert(grants)
      .values({
        id: newId("grant"),
        agentId: agent.id,
        upstreamId: upstream.id,
        toolPattern: input.toolPattern,
        effect: input.effect,
        rateLimitMax: input.rateLimit?.max ?? null,
        rateLimitWindowSeconds: input.rateLimit?.windowSeconds ?? null,
        expiresAt: input.expiresAt ?? null,
        reason: input.reason || null,
        createdBy: actorName(ctx.actor),
        createdAt: now,
      })
      .returning()
      .get();
    bumpConfigVersion(tx, now);
    appendAudit(tx, ctx, {
      action: "grant.create",
      target: { type: "grant", id: row.id },
      server: upstream.name,
      tool: row.toolPattern,
      reason: row.reason,
      after: { ...grantSnapshot(row), agentName: agent.name, server: upstream.name },
    });
    return row;
  });
}
