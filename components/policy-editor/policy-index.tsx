"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";

import { errorMessage } from "@/lib/client/api";
import { formatDateTime } from "@/lib/client/format";
import { useCan } from "@/components/console/session-context";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { IconShield } from "@/components/ui/icons";
import { EmptyState, ErrorState, LoadingBlock } from "@/components/ui/states";
import { TableHead } from "@/components/ui/table-head";
import { policySummariesQuery } from "./queries";

export function PolicyIndex() {
  const canEdit = useCan("editor");
  const summaries = useQuery(policySummariesQuery());
  return (
    <div>
      <PageHeader
        title="Policies"
        description="One YAML policy per server. Every save is a new version; the active one is enforced on the next call."
      />
      <Card bodyClassName="p-0">
        {summaries.isPending ? (
          <LoadingBlock label="Loading policies…" />
        ) : summaries.isError ? (
          <div className="p-4">
            <ErrorState
              message={errorMessage(summaries.error)}
              onRetry={() => summaries.refetch()}
            />
          </div>
        ) : summaries.data.length === 0 ? (
          <EmptyState title="No servers yet" icon={<IconShield className="size-10" />}>
            Policies belong to servers.{" "}
            <Link href="/console/servers" className="font-medium text-indigo-700 hover:underline">
              Add a server
            </Link>{" "}
            first.
          </EmptyState>
        ) : (
          <div className="relative overflow-x-auto">
            <table className="w-full text-left text-sm" aria-label="Policies by server">
              <TableHead
                columns={[
                  "Server",
                  "Active version",
                  "Saved by",
                  "Versions",
                  { label: "Actions", hidden: true, align: "right" },
                ]}
              />
              <tbody className="divide-y divide-slate-100">
                {summaries.data.map((s) => {
                  const href = `/console/policies/${encodeURIComponent(s.server)}/edit`;
                  return (
                    <tr key={s.upstreamId}>
                      <td className="px-4 py-3 font-medium text-slate-900">{s.server}</td>
                      <td className="px-4 py-3">
                        {s.active ? (
                          <span className="flex flex-wrap items-center gap-2">
                            <Badge tone="violet">v{s.active.version}</Badge>
                            {s.active.comment ? (
                              <span
                                className="max-w-xs truncate text-slate-600"
                                title={s.active.comment}
                              >
                                {s.active.comment}
                              </span>
                            ) : null}
                            {s.latest && s.latest.id !== s.active.id ? (
                              <span className="text-xs text-amber-700">
                                v{s.latest.version} saved, not active
                              </span>
                            ) : null}
                          </span>
                        ) : (
                          <Badge tone="amber">No policy — calls refused unless granted</Badge>
                        )}
                      </td>
                      <td className="px-4 py-3 text-slate-600">
                        {s.active ? (
                          <>
                            <p>{s.active.author}</p>
                            <p className="text-xs text-slate-400 tabular-nums">
                              {formatDateTime(s.active.createdAt)}
                            </p>
                          </>
                        ) : (
                          "—"
                        )}
                      </td>
                      <td className="px-4 py-3 text-slate-600 tabular-nums">{s.versions}</td>
                      <td className="px-4 py-3 text-right whitespace-nowrap">
                        {s.active ? (
                          <Link
                            href={`/console/policies/${encodeURIComponent(s.server)}`}
                            className="mr-4 text-sm text-slate-600 hover:text-slate-900 hover:underline"
                          >
                            View
                          </Link>
                        ) : null}
                        <Link
                          href={href}
                          className="text-sm font-medium text-indigo-700 hover:underline"
                          aria-label={`${canEdit ? (s.active ? "Edit" : "Write") : "Open"} the policy of ${s.server}`}
                        >
                          {canEdit ? (s.active ? "Edit" : "Write policy") : "History"}
                        </Link>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}
