import { desc, eq } from "drizzle-orm";

import { policyVersions } from "@/db/schema";
import type { ActivePolicyView, PolicyVersionView } from "@/lib/core/policies/views";
import { requireViewer, type ServiceContext } from "../context";
import { getUpstreamByName, getUpstreamOrThrow } from "../upstreams/internal";
import { getPolicyForUpstream, getVersion, toPolicyVersionView } from "./internal";
import { notFound } from "@/lib/core/errors";

/** The YAML in force for a server (by id or by name), or nulls when it has no policy yet. */
export function getActivePolicy(
  ctx: ServiceContext,
  ref: { upstreamId: string } | { server: string },
): ActivePolicyView {
  requireViewer(ctx);
  const upstream =
    "upstreamId" in ref
      ? getUpstreamOrThrow(ctx.db, ref.upstreamId)
      : getUpstreamByName(ctx.db, ref.server);
  if (!upstream) throw notFound("server", "server" in ref ? ref.server : "");
  const policy = getPolicyForUpstream(ctx.db, upstream.id);
  const version = policy ? getVersion(ctx.db, policy.id, policy.activeVersionId) : undefined;
  return {
    upstreamId: upstream.id,
    server: upstream.name,
    policyId: policy?.id ?? null,
    version: version ? toPolicyVersionView(version, policy?.activeVersionId ?? null) : null,
    yaml: version?.yaml ?? null,
  };
}

/** Saved versions of a server's policy, newest first. */
export function listPolicyVersions(ctx: ServiceContext, upstreamId: string): PolicyVersionView[] {
  requireViewer(ctx);
  const policy = getPolicyForUpstream(ctx.db, upstreamId);
  if (!policy) return [];
  return ctx.db
    .select()
    .from(policyVersions)
    .where(eq(policyVersions.policyId, policy.id))
    .orderBy(desc(policyVersions.version))
    .all()
    .map((v) => toPolicyVersionView(v, policy.activeVersionId));
}
