import { asc, eq } from "drizzle-orm";

import { policies, policyVersions, type Upstream, upstreams } from "@/db/schema";
import { requireViewer, type ServiceContext } from "../context";

/** Every server with the number of its active policy version, by name. */
export function listUpstreams(
  ctx: ServiceContext,
): { upstream: Upstream; activePolicyVersion: number | null }[] {
  requireViewer(ctx);
  return ctx.db
    .select({ upstream: upstreams, activePolicyVersion: policyVersions.version })
    .from(upstreams)
    .leftJoin(policies, eq(policies.upstreamId, upstreams.id))
    .leftJoin(policyVersions, eq(policyVersions.id, policies.activeVersionId))
    .orderBy(asc(upstreams.name))
    .all();
}
