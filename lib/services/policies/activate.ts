import { eq } from "drizzle-orm";

import { type Policy, policies, policyVersions } from "@/db/schema";
import { notFound } from "@/lib/core/errors";
import { ActivatePolicyVersionInput } from "@/lib/core/policies/inputs";
import { requireEditor, type ServiceContext, withTransaction } from "../context";
import { getUpstreamOrThrow } from "../upstreams/internal";
import { assertPolicyLoads } from "./internal";
import { activate } from "./save";

/**
 * Puts an earlier (or later) saved version back in force: a rollback. Editors and admins.
 * The version is re-validated, since the engine may have grown stricter since it was saved.
 */
export function activatePolicyVersion(
  ctx: ServiceContext,
  raw: ActivatePolicyVersionInput,
): Policy {
  requireEditor(ctx);
  const input = ActivatePolicyVersionInput.parse(raw);
  const version = ctx.db
    .select()
    .from(policyVersions)
    .where(eq(policyVersions.id, input.policyVersionId))
    .get();
  if (!version) throw notFound("policy version", input.policyVersionId);
  assertPolicyLoads(version.yaml);
  return withTransaction(ctx, (tx) => {
    const policy = tx.select().from(policies).where(eq(policies.id, version.policyId)).get();
    if (!policy) throw notFound("policy", version.policyId);
    if (policy.activeVersionId === version.id) return policy;
    const upstream = getUpstreamOrThrow(tx, policy.upstreamId);
    return activate(tx, ctx, policy, version, upstream.name);
  });
}
