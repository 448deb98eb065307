import { eq } from "drizzle-orm";

import type { Tx } from "@/db/client";
import { type Policy, policies, type PolicyVersion, policyVersions } from "@/db/schema";
import { AppError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import { SavePolicyInput } from "@/lib/core/policies/inputs";
import type { PolicyIssue } from "@/lib/core/policy/types";
import { appendAudit } from "../audit/append";
import { bumpConfigVersion } from "../config-version";
import { actorName, requireEditor, type ServiceContext, withTransaction } from "../context";
import { getUpstreamOrThrow } from "../upstreams/internal";
import { assertPolicyLoads, getPolicyForUpstream, getVersion, latestVersion } from "./internal";

export type SavePolicyResult = {
  policy: Policy;
  version: PolicyVersion;
  activated: boolean;
  warnings: PolicyIssue[];
};

/**
 * Saves a policy YAML for a server as a new immutable version (version numbers count up per
 * server) and, unless `activate: false`, makes it the one in force. Editors and admins.
 * An invalid document is refused with VALIDATION listing every error and nothing is written,
 * so the version in force stays. Audits policy.save and policy.activate (before/after).
 */
export function savePolicy(ctx: ServiceContext, raw: SavePolicyInput): SavePolicyResult {
  requireEditor(ctx);
  const input = SavePolicyInput.parse(raw);
  const { warnings } = assertPolicyLoads(input.yaml);
  return withTransaction(ctx, (tx) => {
    const upstream = getUpstreamOrThrow(tx, input.upstreamId);
    const now = ctx.now();
    let policy = getPolicyForUpstream(tx, upstream.id);
    if (!policy) {
      policy = tx
        .insert(policies)
        .values({
          id: newId("policy"),
          upstreamId: upstream.id,
          activeVersionId: null,
          createdAt: now,
          updatedAt: now,
        })
        .returning()
        .get();
    }
    const previous = latestVersion(tx, policy.id);
    const version = tx
      .insert(policyVersions)
      .values({
        id: newId("policyVersion"),
        policyId: policy.id,
        version: (previous?.version ?? 0) + 1,
        yaml: input.yaml,
        author: actorName(ctx.actor),
        comment: input.comment || null,
        createdAt: now,
      })
      .returning()
      .get();
    appendAudit(tx, ctx, {
      action: "policy.save",
      target: { type: "policy", id: policy.id },
      server: upstream.name,
      before: previous ? { version: previous.version, yaml: previous.yaml } : null,
      after: { version: version.version, yaml: version.yaml, comment: version.comment },
    });
    if (input.activate) policy = activate(tx, ctx, policy, version, upstream.name);
    return { policy, version, activated: input.activate, warnings };
  });
}

/** Points the policy at `version`, bumps config_version and audits policy.activate. */
export function activate(
  tx: Tx,
  ctx: ServiceContext,
  policy: Policy,
  version: PolicyVersion,
  server: string,
): Policy {
  const before = getVersion(tx, policy.id, policy.activeVersionId);
  const now = ctx.now();
  const updated = tx
    .update(policies)
    .set({ activeVersionId: version.id, updatedAt: now })
    .where(eq(policies.id, policy.id))
    .returning()
    .get();
  if (!updated) throw new AppError("INTERNAL", "Policy disappeared during activation");
  bumpConfigVersion(tx, now);
  appendAudit(tx, ctx, {
    action: "policy.activate",
    target: { type: "policy", id: policy.id },
    server,
    before: { activeVersion: before?.version ?? null, policyVersionId: before?.id ?? null },
    after: { activeVersion: version.version, policyVersionId: version.id },
  });
  return updated;
}
