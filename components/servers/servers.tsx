"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";

import { errorMessage } from "@/lib/client/api";
import type { UpstreamView } from "@/lib/core/upstreams/views";
import { useCan } from "@/components/console/session-context";
import { upstreamListQuery } from "@/components/shared/queries";
import { toolSummaryQuery } from "@/components/tools/queries";
import { LevelBadge } from "@/components/tools/risk-badge";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { IconServer } from "@/components/ui/icons";
import { EmptyState, ErrorState, LoadingBlock } from "@/components/ui/states";
import { TableHead } from "@/components/ui/table-head";
import { AddServerDialog } from "./add-server-dialog";

export function launchLine(u: UpstreamView): string {
  return u.transport === "stdio" ? [u.command ?? "", ...u.args].join(" ") : (u.url ?? "");
}

export function Servers() {
  const canAdmin = useCan("admin");
  const upstreams = useQuery({ ...upstreamListQuery(), staleTime: 5_000 });
  const summary = useQuery(toolSummaryQuery());
  const [adding, setAdding] = useState(false);
  const counts = new Map(summary.data?.map((s) => [s.upstreamId, s]));

  return (
    <div>
      <PageHeader
        title="Servers"
        description="The MCP servers behind the gateway, how they are started, and the tools they offer."
        actions={canAdmin ? <Button onClick={() => setAdding(true)}>Add server</Button> : null}
      />
      <Card bodyClassName="p-0">
        {upstreams.isPending ? (
          <LoadingBlock label="Loading servers…" />
        ) : upstreams.isError ? (
          <div className="p-4">
            <ErrorState
              message={errorMessage(upstreams.error)}
              onRetry={() => upstreams.refetch()}
            />
          </div>
        ) : upstreams.data.length === 0 ? (
          <EmptyState title="No servers yet" icon={<IconServer className="size-10" />}>
            {canAdmin
              ? "Add the first MCP server; agents reach it through the gateway at /mcp/<name>."
              : "An admin adds servers."}
          </EmptyState>
        ) : (
          <div className="relative overflow-x-auto">
            <table className="w-full text-left text-sm" aria-label="Servers">
              <TableHead
                columns={[
                  "Server",
                  "Transport",
                  "Command or URL",
                  "Policy",
                  { label: "Tools by risk", nowrap: true },
                  "Quarantined",
                ]}
              />
              <tbody className="divide-y divide-slate-100">
                {upstreams.data.map((u) => {
                  const c = counts.get(u.id);
                  return (
                    <tr key={u.id} className={u.enabled ? undefined : "bg-slate-50/60"}>
                      <td className="px-4 py-3 align-top">
                        <Link
                          href={`/console/servers/${encodeURIComponent(u.name)}`}
                          className="rounded font-medium text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600"
                        >
                          {u.name}
                        </Link>
                        {!u.enabled ? (
                          <Badge tone="red" className="ml-2">
                            Disabled
                          </Badge>
                        ) : null}
                        {u.description ? (
                          <p className="mt-0.5 max-w-xs truncate text-xs text-slate-500">
                            {u.description}
                          </p>
                        ) : null}
                      </td>
                      <td className="px-4 py-3 align-top">
                        <Badge tone={u.transport === "stdio" ? "violet" : "blue"}>
                          {u.transport}
                        </Badge>
                      </td>
                      <td className="px-4 py-3 align-top">
                        <code
                          className="block max-w-60 truncate font-mono text-xs text-slate-700"
                          title={launchLine(u)}
                        >
                          {launchLine(u)}
                        </code>
                      </td>
                      <td className="px-4 py-3 align-top whitespace-nowrap">
                        {u.activePolicyVersion !== null ? (
                          <Link
                            href={`/console/policies/${encodeURIComponent(u.name)}/edit`}
                            className="text-indigo-700 hover:underline"
                          >
                            v{u.activePolicyVersion}
                          </Link>
                        ) : (
                          <Link
                            href={`/console/policies/${encodeURIComponent(u.name)}/edit`}
                            className="text-amber-700 hover:underline"
                          >
                            No policy
                          </Link>
                        )}
                      </td>
                      <td className="px-4 py-3 align-top">
                        {summary.isPending ? (
                          <span className="text-xs text-slate-400">…</span>
                        ) : c && c.total > 0 ? (
                          <span className="flex flex-wrap gap-1" aria-label={`${c.total} tools`}>
                            {(["critical", "high", "medium", "low"] as const).map((level) =>
                              c.byLevel[level] > 0 ? (
                                <LevelBadge key={level} level={level} count={c.byLevel[level]} />
                              ) : null,
                            )}
                          </span>
                        ) : (
                          <span className="text-xs whitespace-nowrap text-slate-500">
                            Not listed yet
                          </span>
                        )}
                      </td>
                      <td className="px-4 py-3 align-top tabular-nums">
                        {c && c.quarantined > 0 ? (
                          <Link
                            href={`/console/servers/${encodeURIComponent(u.name)}#quarantine-heading`}
                            className="font-medium text-rose-700 hover:underline"
                          >
                            {c.quarantined} to review
                          </Link>
                        ) : (
                          <span className="text-slate-400">0</span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      {!canAdmin ? (
        <p className="mt-3 text-xs text-slate-500">
          Only admins add or change servers: a stdio command runs on the gateway host.
        </p>
      ) : null}
      <AddServerDialog open={adding} onClose={() => setAdding(false)} />
    </div>
  );
}
