import { count, eq } from "drizzle-orm";

import { grants, policies, policyVersions, type Upstream, upstreams, tools } from "@/db/schema";
import { conflict } from "@/lib/core/errors";
import { DeleteUpstreamInput } from "@/lib/core/upstreams/inputs";
import { appendAudit } from "../audit/append";
import { bumpConfigVersion } from "../config-version";
import { requireAdmin, type ServiceContext, withTransaction } from "../context";
import { getUpstreamOrThrow, upstreamSnapshot } from "./internal";

/**
 * Deletes a server that has no history: no saved policy version and no grant, revoked or not
 * (both are kept for the record, so such a server is disabled instead; CONFLICT says so). Its
 * tool inventory goes with it and the name is free again. Admins only. Audits upstream.delete.
 */
export function deleteUpstream(ctx: ServiceContext, raw: DeleteUpstreamInput): Upstream {
  requireAdmin(ctx);
  const input = DeleteUpstreamInput.parse(raw);
  return withTransaction(ctx, (tx) => {
    const before = getUpstreamOrThrow(tx, input.upstreamId);
    const versions =
      tx
        .select({ n: count() })
        .from(policyVersions)
        .innerJoin(policies, eq(policies.id, policyVersions.policyId))
        .where(eq(policies.upstreamId, before.id))
        .get()?.n ?? 0;
    const granted =
      tx.select({ n: count() }).from(grants).where(eq(grants.upstreamId, before.id)).get()?.n ?? 0;
    if (versions > 0 || granted > 0) {
      const kept = [
        versions > 0 ? `${versions} saved policy version${versions === 1 ? "" : "s"}` : null,
        granted > 0 ? `${granted} grant${granted === 1 ? "" : "s"}` : null,
      ].filter(Boolean);
      throw conflict(
        `Server ${before.name} has ${kept.join(" and ")}, which are kept for the record: disable it instead`,
        { versions, grants: granted },
      );
    }
    const recorded =
      tx.select({ n: count() }).from(tools).where(eq(tools.upstreamId, before.id)).get()?.n ?? 0;
    tx.delete(upstreams).where(eq(upstreams.id, before.id)).run();
    bumpConfigVersion(tx, ctx.now());
    appendAudit(tx, ctx, {
      action: "upstream.delete",
      target: { type: "upstream", id: before.id },
      server: before.name,
      before: upstreamSnapshot(before),
      extra: { toolsRemoved: recorded },
    });
    return before;
  });
}
