import type { Grant } from "@/db/schema";
import type { GrantView } from "@/lib/core/grants/views";

export function grantSnapshot(g: Grant): Record<string, unknown> {
  return {
    agentId: g.agentId,
    upstreamId: g.upstreamId,
    toolPattern: g.toolPattern,
    effect: g.effect,
    rateLimit: g.rateLimitMax
      ? { max: g.rateLimitMax, windowSeconds: g.rateLimitWindowSeconds }
      : null,
    expiresAt: g.expiresAt?.toISOString() ?? null,
    reason: g.reason,
    revoked: g.revokedAt !== null,
  };
}

export function toGrantView(
  g: Grant,
  names: { agentName?: string | null; server?: string | null } = {},
): GrantView {
  return {
    id: g.id,
    agentId: g.agentId,
    agentName: names.agentName ?? null,
    upstreamId: g.upstreamId,
    server: names.server ?? null,
    toolPattern: g.toolPattern,
    effect: g.effect,
    rateLimit:
      g.rateLimitMax !== null && g.rateLimitWindowSeconds !== null
        ? { max: g.rateLimitMax, windowSeconds: g.rateLimitWindowSeconds }
        : null,
    expiresAt: g.expiresAt?.toISOString() ?? null,
    reason: g.reason,
    createdBy: g.createdBy,
    createdAt: g.createdAt.toISOString(),
    revokedAt: g.revokedAt?.toISOString() ?? null,
  };
}
