import { sql } from "drizzle-orm";

import { tools } from "@/db/schema";
import type { UpstreamInventoryView } from "@/lib/core/upstreams/views";
import { requireViewer, type ServiceContext } from "../context";

/** Tool counts per server (by risk level and status), for the servers list. Viewer role. */
export function summarizeUpstreamInventories(ctx: ServiceContext): UpstreamInventoryView[] {
  requireViewer(ctx);
  const rows = ctx.db
    .select({
      upstreamId: tools.upstreamId,
      level: tools.riskLevel,
      status: tools.status,
      count: sql<number>`count(*)`,
      lastSeenAt: sql<number | null>`max(${tools.lastSeenAt})`,
    })
    .from(tools)
    .groupBy(tools.upstreamId, tools.riskLevel, tools.status)
    .all();
  const out = new Map<string, UpstreamInventoryView>();
  for (const r of rows) {
    let v = out.get(r.upstreamId);
    if (!v) {
      v = {
        upstreamId: r.upstreamId,
        total: 0,
        byLevel: { low: 0, medium: 0, high: 0, critical: 0 },
        quarantined: 0,
        new: 0,
        lastSeenAt: null,
      };
      out.set(r.upstreamId, v);
    }
    const n = Number(r.count);
    v.total += n;
    v.byLevel[r.level] += n;
    if (r.status === "quarantined") v.quarantined += n;
    if (r.status === "new") v.new += n;
    if (r.lastSeenAt !== null) {
      const iso = new Date(Number(r.lastSeenAt)).toISOString();
      if (!v.lastSeenAt || iso > v.lastSeenAt) v.lastSeenAt = iso;
    }
  }
  return [...out.values()];
}
