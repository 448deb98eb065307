import { eq } from "drizzle-orm";

import { policies, policyVersions, upstreams } from "@/db/schema";
import { notFound } from "@/lib/core/errors";
import type { PolicyVersionDetailView } from "@/lib/core/policies/views";
import { requireViewer, type ServiceContext } from "../context";
import { toPolicyVersionView } from "./internal";

/** One saved version with its YAML, for viewing and diffing any version. Viewer role. */
export function getPolicyVersion(
  ctx: ServiceContext,
  policyVersionId: string,
): PolicyVersionDetailView {
  requireViewer(ctx);
  const row = ctx.db
    .select({
      version: policyVersions,
      activeVersionId: policies.activeVersionId,
      upstreamId: upstreams.id,
      server: upstreams.name,
    })
    .from(policyVersions)
    .innerJoin(policies, eq(policies.id, policyVersions.policyId))
    .innerJoin(upstreams, eq(upstreams.id, policies.upstreamId))
    .where(eq(policyVersions.id, policyVersionId))
    .get();
  if (!row) throw notFound("policy version", policyVersionId);
  return {
    ...toPolicyVersionView(row.version, row.activeVersionId),
    yaml: row.version.yaml,
    server: row.server,
    upstreamId: row.upstreamId,
  };
}
