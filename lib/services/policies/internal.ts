import { and, desc, eq } from "drizzle-orm";

import type { Db, Tx } from "@/db/client";
import { type Policy, policies, type PolicyVersion, policyVersions } from "@/db/schema";
import { AppError } from "@/lib/core/errors";
import type { PolicyVersionView } from "@/lib/core/policies/views";
import { compilePolicy } from "@/lib/core/policy/snapshot";
import { parsePolicy } from "@/lib/core/policy/parse";
import type { PolicyIssue } from "@/lib/core/policy/types";

/**
 * Parses and compiles `yaml`; throws VALIDATION listing every problem (with line:column in
 * the message and in `details.errors`) when the document would not load in a gateway.
 */
export function assertPolicyLoads(yaml: string): { warnings: PolicyIssue[] } {
  const parsed = parsePolicy(yaml);
  if (!parsed.ok) {
    const lines = parsed.errors.map(describeIssue);
    throw new AppError(
      "VALIDATION",
      `The policy has ${parsed.errors.length} error${parsed.errors.length === 1 ? "" : "s"}: ${lines.join("; ")}`,
      { errors: parsed.errors },
    );
  }
  compilePolicy(parsed.policy);
  return { warnings: parsed.warnings };
}

export function describeIssue(i: PolicyIssue): string {
  const at = i.line !== undefined ? `line ${i.line}:${i.column ?? 1}` : "";
  const where = [at, i.path].filter(Boolean).join(" ");
  return where ? `${where}: ${i.message}` : i.message;
}

export function getPolicyForUpstream(db: Db | Tx, upstreamId: string): Policy | undefined {
  return db.select().from(policies).where(eq(policies.upstreamId, upstreamId)).get();
}

export function latestVersion(db: Db | Tx, policyId: string): PolicyVersion | undefined {
  return db
    .select()
    .from(policyVersions)
    .where(eq(policyVersions.policyId, policyId))
    .orderBy(desc(policyVersions.version))
    .limit(1)
    .get();
}

export function getVersion(
  db: Db | Tx,
  policyId: string,
  versionId: string | null,
): PolicyVersion | undefined {
  if (!versionId) return undefined;
  return db
    .select()
    .from(policyVersions)
    .where(and(eq(policyVersions.policyId, policyId), eq(policyVersions.id, versionId)))
    .get();
}

export function toPolicyVersionView(
  v: PolicyVersion,
  activeVersionId: string | null,
): PolicyVersionView {
  return {
    id: v.id,
    version: v.version,
    author: v.author,
    comment: v.comment,
    createdAt: v.createdAt.toISOString(),
    active: v.id === activeVersionId,
  };
}
