import { and, asc, eq, type SQL, sql } from "drizzle-orm";

import { policies, type PolicyVersion, policyVersions, upstreams } from "@/db/schema";
import type { PolicySummaryView } from "@/lib/core/policies/views";
import { requireViewer, type ServiceContext } from "../context";
import { toPolicyVersionView } from "./internal";

/** Every server with its policy: versions saved, the one in force and the newest. Viewer role. */
export function listPolicySummaries(ctx: ServiceContext): PolicySummaryView[] {
  requireViewer(ctx);
  const rows = ctx.db
    .select({
      upstreamId: upstreams.id,
      server: upstreams.name,
      policyId: policies.id,
      activeVersionId: policies.activeVersionId,
    })
    .from(upstreams)
    .leftJoin(policies, eq(policies.upstreamId, upstreams.id))
    .orderBy(asc(upstreams.name))
    .all();
  const counts = new Map(
    ctx.db
      .select({
        policyId: policyVersions.policyId,
        n: sql<number>`count(*)`,
        latest: sql<number>`max(${policyVersions.version})`,
      })
      .from(policyVersions)
      .groupBy(policyVersions.policyId)
      .all()
      .map((r) => [r.policyId, r]),
  );
  const one = (where: SQL | undefined): PolicyVersion | undefined =>
    ctx.db.select().from(policyVersions).where(where).get();
  return rows.map((r) => {
    const c = r.policyId ? counts.get(r.policyId) : undefined;
    const active = r.activeVersionId ? one(eq(policyVersions.id, r.activeVersionId)) : undefined;
    const latest =
      r.policyId && c
        ? one(
            and(
              eq(policyVersions.policyId, r.policyId),
              eq(policyVersions.version, Number(c.latest)),
            ),
          )
        : undefined;
    return {
      upstreamId: r.upstreamId,
      server: r.server,
      policyId: r.policyId,
      versions: c ? Number(c.n) : 0,
      active: active ? toPolicyVersionView(active, r.activeVersionId) : null,
      latest: latest ? toPolicyVersionView(latest, r.activeVersionId) : null,
    };
  });
}
