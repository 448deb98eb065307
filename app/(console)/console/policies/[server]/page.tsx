import type { Metadata } from "next";
import Link from "next/link";

import { locateRule } from "@/lib/core/policies/locate-rule";
import { PolicyView } from "@/components/policies/policy-view";
import { Badge } from "@/components/ui/badge";
import { PageHeader } from "@/components/ui/card";
import { EmptyState, ErrorState } from "@/components/ui/states";
import { AppError } from "@/lib/core/errors";
import { getActivePolicy, listPolicyVersions } from "@/lib/services/policies";
import { pageActor } from "@/lib/server/auth";

export const metadata: Metadata = { title: "Policy" };

type Props = {
  params: Promise<{ server: string }>;
  searchParams: Promise<{ rule?: string; version?: string }>;
};

export default async function PolicyPage({ params, searchParams }: Props) {
  const { ctx, user } = await pageActor();
  const { server } = await params;
  const { rule, version } = await searchParams;
  let policy;
  try {
    policy = getActivePolicy(ctx, { server: decodeURIComponent(server) });
  } catch (err) {
    if (err instanceof AppError && err.code === "NOT_FOUND")
      return (
        <ErrorState
          title="Unknown server"
          message={`There is no server named ${decodeURIComponent(server)}.`}
        />
      );
    throw err;
  }
  const located = policy.yaml && rule ? locateRule(policy.yaml, rule) : null;
  const activeVersion = policy.version ? String(policy.version.version) : null;
  const decidedUnder = version
    ? listPolicyVersions(ctx, policy.upstreamId).find(
        (v) => v.id === version || String(v.version) === version,
      )
    : undefined;
  const otherVersion =
    decidedUnder && activeVersion && String(decidedUnder.version) !== activeVersion
      ? decidedUnder.version
      : null;

  return (
    <div className="space-y-4">
      <PageHeader
        title={`Policy for ${policy.server}`}
        description={
          policy.version
            ? `Version ${policy.version.version}, saved by ${policy.version.author} on ${new Date(policy.version.createdAt).toUTCString()}${policy.version.comment ? ` — ${policy.version.comment}` : ""}`
            : "This server has no policy yet."
        }
        actions={
          <div className="flex items-center gap-4">
            <Link
              href={`/console/denied?server=${encodeURIComponent(policy.server)}`}
              className="text-sm font-medium text-indigo-700 hover:underline"
            >
              Denied calls on {policy.server} →
            </Link>
            {user.role !== "viewer" ? (
              <Link
                href={`/console/policies/${encodeURIComponent(policy.server)}/edit`}
                className="inline-flex h-9 items-center rounded-md bg-indigo-600 px-3.5 text-sm font-medium text-white shadow-xs hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
              >
                Edit policy
              </Link>
            ) : null}
          </div>
        }
      />
      {rule ? (
        <div
          className="flex flex-wrap items-center gap-2 rounded-lg bg-amber-50 px-4 py-3 text-sm text-amber-900 ring-1 ring-amber-200"
          role="status"
        >
          <Badge tone="amber">Deciding rule</Badge>
          <span className="font-medium">{rule}</span>
          {located ? (
            <a
              href={`#L${located.startLine}`}
              className="text-amber-800 underline underline-offset-2"
            >
              lines {located.startLine}–{located.endLine} (tool {located.tool})
            </a>
          ) : (
            <span>
              is not in the active version
              {rule.startsWith("grant:") ? " (it is a grant's own limit)" : ""}.
            </span>
          )}
          {otherVersion ? (
            <span className="text-amber-800">
              The call was decided under version {otherVersion}; the active version is shown.
            </span>
          ) : null}
        </div>
      ) : null}
      {policy.yaml ? (
        <PolicyView yaml={policy.yaml} highlight={located} />
      ) : (
        <EmptyState title="No policy saved for this server" />
      )}
    </div>
  );
}
