import type { z } from "zod";

import type { Tx } from "@/db/client";
import { type Grant, grants } from "@/db/schema";
import { invalid } from "@/lib/core/errors";
import { CreateGrantInput } from "@/lib/core/grants/inputs";
import { newId } from "@/lib/core/ids";
import { getAgentOrThrow } from "../agents/internal";
import { appendAudit } from "../audit/append";
import { bumpConfigVersion } from "../config-version";
import { actorName, requireEditor, type ServiceContext, withTransaction } from "../context";
import { checkGrantForCall } from "../simulation/grant-check";
import { simulationBase } from "../simulation/context";
import { getUpstreamOrThrow } from "../upstreams/internal";
import { grantSnapshot } from "./internal";

/**
 * An allow grant that cannot change anything is refused, not saved and listed as Active: one
 * for a hidden tool (no grant overrides `hide`), and one made from a refused call that the
 * engine, re-deciding the call with the grant, still refuses. When the audit log did not keep
 * the arguments a deciding rule reads, the check cannot be sure and the grant is saved.
 */
function refuseUselessGrant(
  tx: Tx,
  ctx: ServiceContext,
  input: z.output<typeof CreateGrantInput>,
  upstreamId: string,
  agentId: string,
): void {
  const { snapshot } = simulationBase(tx, upstreamId, null).policy;
  const hiddenBy = snapshot.hiddenBy(input.toolPattern);
  if (hiddenBy !== null)
    throw invalid(
      `"${input.toolPattern}" is hidden by the policy (hide: "${hiddenBy}"), and no grant overrides hide. Edit the policy's hide list instead.`,
      { field: "toolPattern" },
    );
  if (!input.forEventId) return;
  const check = checkGrantForCall(
    { ...ctx, db: tx },
    { eventId: input.forEventId, toolPattern: input.toolPattern, rateLimit: input.rateLimit },
  );
  if (check.agentId !== agentId)
    throw invalid("The refused call was made by another agent", { field: "agentId" });
  const useless =
    !check.applies ||
    check.without.decision !== "deny" ||
    (!check.helps && check.uncertainRules.length === 0);
  if (useless) throw invalid(check.verdict, { field: "toolPattern", check });
}

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
    if (input.effect === "allow") refuseUselessGrant(tx, ctx, input, upstream.id, agent.id);
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
