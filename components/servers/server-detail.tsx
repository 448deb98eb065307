"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type ReactNode, useState } from "react";

import { errorMessage } from "@/lib/client/api";
import { formatDateTime } from "@/lib/client/format";
import type { UpstreamView } from "@/lib/core/upstreams/views";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { useCan } from "@/components/console/session-context";
import { upstreamListQuery } from "@/components/shared/queries";
import { toolListQuery } from "@/components/tools/queries";
import { QuarantineReview, ToolInventory } from "@/components/tools/tool-inventory";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { ErrorState, LoadingBlock } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { EditLaunchDialog } from "./edit-launch-dialog";
import { useUpdateUpstream } from "./queries";

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-[9rem_1fr] gap-3 py-2">
      <dt className="text-sm text-slate-500">{label}</dt>
      <dd className="min-w-0 text-sm text-slate-800">{children}</dd>
    </div>
  );
}

function Chips({ items, empty }: { items: string[]; empty: string }) {
  if (items.length === 0) return <span className="text-slate-400">{empty}</span>;
  return (
    <span className="flex flex-wrap gap-1">
      {items.map((a, i) => (
        <code
          key={i}
          className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs break-all text-slate-800 ring-1 ring-slate-200"
        >
          {a}
        </code>
      ))}
    </span>
  );
}

function Connection({ u }: { u: UpstreamView }) {
  return (
    <Card title="Connection">
      <dl className="divide-y divide-slate-100">
        <Row label="Gateway endpoint">
          <code className="font-mono text-xs">/mcp/{u.name}</code>
        </Row>
        <Row label="Transport">
          <Badge tone={u.transport === "stdio" ? "violet" : "blue"}>{u.transport}</Badge>
        </Row>
        {u.transport === "stdio" ? (
          <>
            <Row label="Command">
              <code className="font-mono text-xs break-all">{u.command}</code>
            </Row>
            <Row label="Arguments">
              <Chips items={u.args} empty="None" />
            </Row>
            <Row label="Environment">
              <Chips items={u.envNames} empty="None" />
            </Row>
          </>
        ) : (
          <>
            <Row label="URL">
              <code className="font-mono text-xs break-all">{u.url}</code>
            </Row>
            <Row label="Headers">
              <Chips items={u.headerNames} empty="None" />
            </Row>
          </>
        )}
        <Row label="Connection">
          {u.isolation === "session" ? "One per session" : "Shared by all sessions"}
        </Row>
        <Row label="Timeout">{Math.round(u.timeoutMs / 1000)} s</Row>
        <Row label="Added">{formatDateTime(u.createdAt)}</Row>
      </dl>
      {u.envNames.length + u.headerNames.length > 0 ? (
        <p className="mt-2 text-xs text-slate-500">
          Values of environment variables and headers are never shown.
        </p>
      ) : null}
    </Card>
  );
}

export function ServerDetail({ name }: { name: string }) {
  const canAdmin = useCan("admin");
  const upstreams = useQuery({ ...upstreamListQuery(), staleTime: 5_000 });
  const tools = useQuery(toolListQuery(name));
  const update = useUpdateUpstream();
  const toast = useToast();
  const [confirmDisable, setConfirmDisable] = useState(false);
  const [editing, setEditing] = useState(false);

  if (upstreams.isPending) return <LoadingBlock label="Loading server…" />;
  if (upstreams.isError)
    return (
      <ErrorState message={errorMessage(upstreams.error)} onRetry={() => upstreams.refetch()} />
    );
  const u = upstreams.data.find((x) => x.name === name);
  if (!u) {
    return (
      <div className="space-y-3">
        <ErrorState title="Unknown server" message={`There is no server named ${name}.`} />
        <Link
          href="/console/servers"
          className="text-sm font-medium text-indigo-700 hover:underline"
        >
          ← All servers
        </Link>
      </div>
    );
  }

  async function setEnabled(enabled: boolean) {
    if (!u) return;
    try {
      await update.mutateAsync({ upstreamId: u.id, enabled });
      toast.show(
        enabled
          ? `${u.name} is served again.`
          : `${u.name} is disabled; the gateway refuses /mcp/${u.name}.`,
        "success",
      );
      setConfirmDisable(false);
    } catch (err) {
      toast.show(errorMessage(err), "error");
    }
  }

  const quarantined = tools.data?.filter((t) => t.status === "quarantined") ?? [];

  return (
    <div className="space-y-6">
      <div>
        <Link
          href="/console/servers"
          className="text-sm text-slate-500 hover:text-slate-800 hover:underline"
        >
          ← Servers
        </Link>
        <PageHeader
          title={u.name}
          description={u.description ?? undefined}
          actions={
            <>
              {u.enabled ? <Badge tone="green">Enabled</Badge> : <Badge tone="red">Disabled</Badge>}
              <Link
                href={`/console/policies/${encodeURIComponent(u.name)}/edit`}
                className="inline-flex h-9 items-center rounded-md bg-white px-3.5 text-sm font-medium text-slate-800 shadow-xs ring-1 ring-slate-300 ring-inset hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
              >
                {u.activePolicyVersion !== null
                  ? `Policy v${u.activePolicyVersion}`
                  : "Write a policy"}
              </Link>
              {canAdmin ? (
                <Button variant="secondary" onClick={() => setEditing(true)}>
                  {u.transport === "stdio" ? "Edit command" : "Edit URL"}
                </Button>
              ) : null}
              {canAdmin ? (
                u.enabled ? (
                  <Button variant="ghost" onClick={() => setConfirmDisable(true)}>
                    Disable server
                  </Button>
                ) : (
                  <Button
                    variant="secondary"
                    busy={update.isPending}
                    onClick={() => setEnabled(true)}
                  >
                    Enable server
                  </Button>
                )
              ) : null}
            </>
          }
        />
      </div>
      {tools.isPending ? (
        <Card>
          <LoadingBlock label="Loading tools…" />
        </Card>
      ) : tools.isError ? (
        <ErrorState message={errorMessage(tools.error)} onRetry={() => tools.refetch()} />
      ) : (
        <>
          <QuarantineReview tools={quarantined} />
          <ToolInventory server={u.name} tools={tools.data} />
        </>
      )}
      <Connection u={u} />
      {canAdmin ? (
        <EditLaunchDialog
          key={`${u.command ?? u.url}:${u.args.join("\u0000")}`}
          u={u}
          open={editing}
          onClose={() => setEditing(false)}
        />
      ) : null}
      <ConfirmDialog
        open={confirmDisable}
        title={`Disable ${u.name}?`}
        confirmLabel="Disable server"
        busy={update.isPending}
        onConfirm={() => setEnabled(false)}
        onClose={() => setConfirmDisable(false)}
      >
        <p>
          The gateway stops serving <code className="font-mono">/mcp/{u.name}</code> from the next
          request; agents get a 404. Its policy, grants and tool inventory are kept.
        </p>
      </ConfirmDialog>
    </div>
  );
}
