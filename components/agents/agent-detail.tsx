"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";

import { apiFetch, errorMessage } from "@/lib/client/api";
import { formatDateTime } from "@/lib/client/format";
import type { AgentView } from "@/lib/core/agents/views";
import type { EffectiveDecision, EffectiveSource } from "@/lib/core/policy/effective";
import type { EffectivePermissionsView } from "@/lib/services/permissions";
import { ConnectClient } from "@/components/client-config/connect-client";
import { upstreamListQuery } from "@/components/shared/queries";
import { Badge, type Tone } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { SelectField } from "@/components/ui/field";
import { EmptyState, ErrorState, LoadingBlock } from "@/components/ui/states";
import { TableHead } from "@/components/ui/table-head";

const DECISION: Record<EffectiveDecision, { tone: Tone; label: string }> = {
  allowed: { tone: "green", label: "Allowed" },
  denied: { tone: "red", label: "Denied" },
  approval: { tone: "amber", label: "Approval required" },
  conditional: { tone: "blue", label: "Depends on the call" },
};

const link =
  "rounded text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600";

function DecidedBy({
  source,
  server,
  agentId,
}: {
  source: EffectiveSource;
  server: string;
  agentId: string;
}) {
  const policy = `/console/policies/${encodeURIComponent(server)}`;
  switch (source.kind) {
    case "quarantine":
      return <span>quarantine</span>;
    case "hide":
      return (
        <Link href={policy} className={link}>
          hide: <code className="font-mono text-xs">{source.entry}</code>
        </Link>
      );
    case "grant":
      return (
        <Link href={`/console/grants?agent=${encodeURIComponent(agentId)}`} className={link}>
          {source.effect} grant <code className="font-mono text-xs">{source.toolPattern}</code>
        </Link>
      );
    case "rule":
      return (
        <Link href={policy} className={link}>
          rule <code className="font-mono text-xs break-words">{source.rule}</code>
        </Link>
      );
    case "default":
      return (
        <Link href={policy} className={link}>
          default: {source.posture}
        </Link>
      );
    case "listed":
      return (
        <Link href={policy} className={link}>
          listed in the policy
        </Link>
      );
  }
}

function EffectivePermissions({ agentId, server }: { agentId: string; server: string }) {
  const query = useQuery({
    queryKey: ["agents", "permissions", agentId, server],
    queryFn: () =>
      apiFetch<EffectivePermissionsView>(
        `/agents/${encodeURIComponent(agentId)}/permissions?server=${encodeURIComponent(server)}`,
      ),
  });
  if (query.isPending) return <LoadingBlock label="Computing permissions" />;
  if (query.error)
    return (
      <ErrorState
        title="Could not compute the permissions"
        message={errorMessage(query.error)}
        onRetry={() => void query.refetch()}
      />
    );
  const view = query.data;
  const counts = view.tools.reduce<Record<string, number>>(
    (acc, t) => ({ ...acc, [t.decision]: (acc[t.decision] ?? 0) + 1 }),
    {},
  );
  return (
    <Card
      bodyClassName="p-0"
      title={`Effective permissions on ${view.server.name}`}
      actions={
        <span className="text-xs text-slate-500">
          {view.policy ? `policy v${view.policy.version}` : "no active policy"} · default:{" "}
          {view.posture}
        </span>
      }
    >
      {view.agent.disabled || !view.server.enabled || !view.policy ? (
        <p
          role="note"
          className="border-b border-amber-200 bg-amber-50 px-4 py-2.5 text-sm text-amber-900"
        >
          {view.agent.disabled
            ? "This agent is disabled: the gateway refuses all of its keys, whatever is listed below."
            : !view.server.enabled
              ? "This server is disabled: no call reaches it, whatever is listed below."
              : "This server has no active policy: the gateway refuses every tool no grant allows."}
        </p>
      ) : null}
      {view.tools.length === 0 ? (
        <EmptyState title="No tools recorded yet">
          The gateway records this server&apos;s tools the first time an agent lists them.
        </EmptyState>
      ) : (
        <>
          <p className="flex flex-wrap gap-2 px-4 py-3 text-xs text-slate-600">
            {(Object.keys(DECISION) as EffectiveDecision[])
              .filter((d) => counts[d])
              .map((d) => (
                <Badge key={d} tone={DECISION[d].tone}>
                  <span className="tabular-nums">{counts[d]}</span>{" "}
                  {DECISION[d].label.toLowerCase()}
                </Badge>
              ))}
            <span className="self-center">
              as of {formatDateTime(view.at)}; grants that expire change this.
            </span>
          </p>
          <div className="relative overflow-x-auto border-t border-slate-100">
            <table
              className="w-full text-left text-sm"
              aria-label={`Effective permissions of ${view.agent.name} on ${view.server.name}`}
            >
              <TableHead
                columns={["Tool", "Listed", "Decision", "Limits", "Decided by", "Expires"]}
              />
              <tbody className="divide-y divide-slate-100">
                {view.tools.map((t) => (
                  <tr key={t.tool} data-testid={`permission-${t.tool}`}>
                    <td className="min-w-56 px-4 py-2.5 align-top">
                      <p className="font-mono text-sm font-medium break-words text-slate-900">
                        {t.tool}
                      </p>
                      <p className="mt-0.5 max-w-md text-xs text-slate-500">{t.summary}</p>
                      {t.rules.length > 0 ? (
                        <details className="mt-1 max-w-md text-xs text-slate-600">
                          <summary className="cursor-pointer text-slate-500 hover:text-slate-800">
                            {t.rules.length} rule{t.rules.length === 1 ? "" : "s"}
                          </summary>
                          <ul className="mt-1 list-disc space-y-0.5 pl-4">
                            {t.rules.map((r, i) => (
                              <li key={i}>
                                <span className="font-mono">{r.name}</span>: {r.text}
                              </li>
                            ))}
                          </ul>
                        </details>
                      ) : null}
                    </td>
                    <td className="px-4 py-2.5 align-top">
                      {t.visible ? <Badge tone="green">Listed</Badge> : <Badge>Hidden</Badge>}
                    </td>
                    <td className="px-4 py-2.5 align-top">
                      <Badge tone={DECISION[t.decision].tone}>{DECISION[t.decision].label}</Badge>
                    </td>
                    <td className="min-w-44 px-4 py-2.5 align-top text-xs text-slate-700">
                      {t.limits.length === 0 ? (
                        <span className="text-slate-400">none</span>
                      ) : (
                        <ul className="space-y-0.5">
                          {t.limits.map((l, i) => (
                            <li key={i}>
                              {l.text}
                              <span className="text-slate-400">
                                {" "}
                                · {l.scope === "shared" ? "all agents" : "this agent"}
                              </span>
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                    <td className="px-4 py-2.5 align-top text-sm">
                      <DecidedBy
                        source={t.decidedBy}
                        server={view.server.name}
                        agentId={view.agent.id}
                      />
                    </td>
                    <td className="px-4 py-2.5 align-top text-xs whitespace-nowrap text-slate-600 tabular-nums">
                      {t.expiresAt ? (
                        formatDateTime(t.expiresAt)
                      ) : (
                        <span className="text-slate-400">never</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Card>
  );
}

/** One agent: what it may do on a server, and how to connect a client as it. */
export function AgentDetail({ agent }: { agent: AgentView }) {
  const servers = useQuery(upstreamListQuery());
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const names = (servers.data ?? []).map((s) => s.name);
  const asked = params.get("server");
  const server = asked && names.includes(asked) ? asked : (names[0] ?? null);
  const liveKeys = agent.keys.filter((k) => !k.revokedAt).length;

  return (
    <div className="space-y-6">
      <PageHeader
        title={agent.name}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <Link href="/console/agents" className={link}>
              ← Agents
            </Link>
            {agent.disabled ? (
              <Badge tone="red">Disabled</Badge>
            ) : (
              <Badge tone="green">Enabled</Badge>
            )}
            {agent.owner ? <span>owner {agent.owner}</span> : null}
            <span>
              {liveKeys} live key{liveKeys === 1 ? "" : "s"}
            </span>
          </span>
        }
        actions={
          <Link href={`/console/grants?agent=${encodeURIComponent(agent.id)}`} className={link}>
            Grants
          </Link>
        }
      />
      {servers.error ? (
        <ErrorState title="Could not load the servers" message={errorMessage(servers.error)} />
      ) : servers.isPending ? (
        <LoadingBlock label="Loading servers" />
      ) : !server ? (
        <Card>
          <EmptyState title="No servers yet">
            Add a server first; this page then shows what {agent.name} may do on it.
          </EmptyState>
        </Card>
      ) : (
        <>
          <SelectField
            label="Server"
            value={server}
            onChange={(e) => {
              const next = new URLSearchParams(params.toString());
              next.set("server", e.target.value);
              router.replace(`${pathname}?${next.toString()}`, { scroll: false });
            }}
            className="max-w-xs"
          >
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </SelectField>
          <EffectivePermissions agentId={agent.id} server={server} />
          <Card title={`Connect a client as ${agent.name}`}>
            <ConnectClient agentKey={null} server={server} />
          </Card>
        </>
      )}
    </div>
  );
}
