"use client";

import { useQuery } from "@tanstack/react-query";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { type FormEvent, useState } from "react";

import { errorMessage, reportFormError } from "@/lib/client/api";
import { formatDateTime } from "@/lib/client/format";
import type { GrantView } from "@/lib/core/grants/views";
import { useCreateGrant } from "@/components/audit/queries";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { useCan } from "@/components/console/session-context";
import { agentListQuery, upstreamListQuery } from "@/components/shared/queries";
import { toolListQuery } from "@/components/tools/queries";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { Dialog, DialogActions } from "@/components/ui/dialog";
import { SelectField, TextField } from "@/components/ui/field";
import { IconShield } from "@/components/ui/icons";
import { EmptyState, ErrorState, LoadingBlock } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { TableHead } from "@/components/ui/table-head";
import { grantListQuery, useRevokeGrant } from "./queries";

const EXPIRY: { label: string; ms: number | null }[] = [
  { label: "Never", ms: null },
  { label: "1 hour", ms: 3_600_000 },
  { label: "24 hours", ms: 86_400_000 },
  { label: "7 days", ms: 7 * 86_400_000 },
  { label: "30 days", ms: 30 * 86_400_000 },
];

const WINDOWS = [
  { seconds: 60, label: "minute" },
  { seconds: 3600, label: "hour" },
  { seconds: 86_400, label: "day" },
];

export function describeWindow(seconds: number): string {
  const named = WINDOWS.find((w) => w.seconds === seconds);
  return named ? named.label : `${seconds} s`;
}

function grantState(
  g: GrantView,
  now = Date.now(),
): { tone: "green" | "red" | "amber" | "slate"; label: string } {
  if (g.revokedAt) return { tone: "slate", label: "Revoked" };
  if (g.expiresAt && new Date(g.expiresAt).getTime() <= now)
    return { tone: "amber", label: "Expired" };
  return { tone: "green", label: "Active" };
}

function CreateGrantDialog({
  onClose,
  defaults,
}: {
  onClose: () => void;
  defaults: { agentId?: string; upstreamId?: string };
}) {
  const agents = useQuery(agentListQuery());
  const upstreams = useQuery(upstreamListQuery());
  const create = useCreateGrant();
  const toast = useToast();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [effect, setEffect] = useState<"allow" | "deny">("allow");
  const [upstreamId, setUpstreamId] = useState(defaults.upstreamId ?? "");
  const server = upstreams.data?.find((u) => u.id === upstreamId)?.name;
  const tools = useQuery({ ...toolListQuery(server ?? ""), enabled: !!server });

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const expiry = EXPIRY[Number(f.get("expiry"))]?.ms ?? null;
    const max = String(f.get("max") ?? "").trim();
    setErrors({});
    try {
      const grant = await create.mutateAsync({
        agentId: String(f.get("agentId") ?? ""),
        upstreamId,
        toolPattern: String(f.get("toolPattern") ?? ""),
        effect,
        rateLimit:
          effect === "allow" && max
            ? { max: Number(max), windowSeconds: Number(f.get("window") ?? 60) }
            : null,
        expiresAt: expiry ? new Date(Date.now() + expiry).toISOString() : null,
        reason: String(f.get("reason") ?? "") || null,
      });
      toast.show(
        `${grant.effect === "allow" ? "Granted" : "Denied"} ${grant.toolPattern}; enforced from the next call.`,
        "success",
      );
      onClose();
    } catch (err) {
      reportFormError(err, setErrors, (m) => toast.show(m, "error"));
    }
  }

  return (
    <Dialog
      open
      onClose={onClose}
      title="New grant"
      description="Allow or deny one agent a tool (or a glob of tools) on one server. Other agents are not affected."
    >
      <form onSubmit={submit} className="space-y-4" noValidate>
        <div className="grid grid-cols-2 gap-3">
          <SelectField
            label="Agent"
            name="agentId"
            required
            defaultValue={defaults.agentId ?? ""}
            error={errors.agentId}
          >
            <option value="" disabled>
              {agents.isPending ? "Loading…" : "Choose an agent"}
            </option>
            {agents.data?.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
                {a.disabled ? " (disabled)" : ""}
              </option>
            ))}
          </SelectField>
          <SelectField
            label="Server"
            name="upstreamId"
            required
            value={upstreamId}
            onChange={(e) => setUpstreamId(e.target.value)}
            error={errors.upstreamId}
          >
            <option value="" disabled>
              {upstreams.isPending ? "Loading…" : "Choose a server"}
            </option>
            {upstreams.data?.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </SelectField>
        </div>
        <TextField
          label="Tool"
          name="toolPattern"
          required
          list="grant-tool-names"
          autoComplete="off"
          placeholder="echo, or get-* for several"
          error={errors.toolPattern}
          hint="A tool name, or a glob such as get-* to cover several."
        />
        <datalist id="grant-tool-names">
          {tools.data?.map((t) => (
            <option key={t.id} value={t.name} />
          ))}
        </datalist>
        <fieldset>
          <legend className="mb-1 text-sm font-medium text-slate-700">Effect</legend>
          <div className="flex gap-4">
            {(["allow", "deny"] as const).map((v) => (
              <label key={v} className="flex items-center gap-2 text-sm text-slate-700">
                <input
                  type="radio"
                  name="effect"
                  value={v}
                  checked={effect === v}
                  onChange={() => setEffect(v)}
                  className="size-4 accent-indigo-600"
                />
                {v === "allow" ? "Allow" : "Deny"}
              </label>
            ))}
          </div>
          <p className="mt-1 text-xs text-slate-500">
            {effect === "allow"
              ? "Lets the agent call it even under default: deny; the policy's rules still apply."
              : "Refuses the agent before any rule is read."}
          </p>
        </fieldset>
        {effect === "allow" ? (
          <fieldset className="grid grid-cols-2 gap-3">
            <legend className="mb-1 text-sm font-medium text-slate-700">
              Limit for this agent (optional)
            </legend>
            <TextField
              label="At most (calls)"
              name="max"
              type="number"
              min={1}
              placeholder="No limit"
              error={errors["rateLimit.max"] ?? errors.rateLimit}
            />
            <SelectField
              label="Per"
              name="window"
              defaultValue="60"
              error={errors["rateLimit.windowSeconds"]}
            >
              {WINDOWS.map((w) => (
                <option key={w.seconds} value={w.seconds}>
                  {w.label}
                </option>
              ))}
            </SelectField>
          </fieldset>
        ) : null}
        <SelectField label="Expires after" name="expiry" defaultValue="0" error={errors.expiresAt}>
          {EXPIRY.map((x, i) => (
            <option key={x.label} value={i}>
              {x.label}
            </option>
          ))}
        </SelectField>
        <TextField
          label="Reason"
          name="reason"
          maxLength={500}
          placeholder="Why this agent needs it"
          error={errors.reason}
        />
        <DialogActions onCancel={onClose} submitLabel="Save grant" busy={create.isPending} />
      </form>
    </Dialog>
  );
}

export function Grants() {
  const canEdit = useCan("editor");
  const router = useRouter();
  const pathname = usePathname();
  const search = useSearchParams();
  const agentId = search.get("agent") ?? "";
  const upstreamId = search.get("server") ?? "";
  const includeRevoked = search.get("revoked") === "1";
  const agents = useQuery(agentListQuery());
  const upstreams = useQuery(upstreamListQuery());
  const grants = useQuery(
    grantListQuery({
      agentId: agentId || undefined,
      upstreamId: upstreamId || undefined,
      includeRevoked,
    }),
  );
  const revoke = useRevokeGrant();
  const toast = useToast();
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<GrantView | null>(null);

  function setFilter(key: string, value: string) {
    const next = new URLSearchParams(search.toString());
    if (value) next.set(key, value);
    else next.delete(key);
    const qs = next.toString();
    router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
  }

  async function confirmRevoke() {
    if (!revoking) return;
    try {
      await revoke.mutateAsync(revoking.id);
      toast.show(
        `Revoked ${revoking.effect} ${revoking.toolPattern} for ${revoking.agentName ?? "the agent"}.`,
        "success",
      );
      setRevoking(null);
    } catch (err) {
      toast.show(errorMessage(err), "error");
    }
  }

  const filtered = !!agentId || !!upstreamId;

  return (
    <div>
      <PageHeader
        title="Grants"
        description="Per-agent exceptions to a server's policy: allow or deny a tool, with an optional limit and expiry."
        actions={canEdit ? <Button onClick={() => setCreating(true)}>New grant</Button> : null}
      />
      <div className="mb-4 flex flex-wrap items-end gap-3" role="search" aria-label="Filter grants">
        <SelectField
          label="Agent"
          value={agentId}
          onChange={(e) => setFilter("agent", e.target.value)}
          className="w-56"
        >
          <option value="">All agents</option>
          {agents.data?.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Server"
          value={upstreamId}
          onChange={(e) => setFilter("server", e.target.value)}
          className="w-56"
        >
          <option value="">All servers</option>
          {upstreams.data?.map((u) => (
            <option key={u.id} value={u.id}>
              {u.name}
            </option>
          ))}
        </SelectField>
        <label className="flex h-9 items-center gap-2 text-sm text-slate-700">
          <input
            type="checkbox"
            checked={includeRevoked}
            onChange={(e) => setFilter("revoked", e.target.checked ? "1" : "")}
            className="size-4 accent-indigo-600"
          />
          Show revoked
        </label>
        {filtered ? (
          <Button variant="ghost" onClick={() => router.replace(pathname, { scroll: false })}>
            Clear filters
          </Button>
        ) : null}
      </div>
      <Card bodyClassName="p-0">
        {grants.isPending ? (
          <LoadingBlock label="Loading grants…" />
        ) : grants.isError ? (
          <div className="p-4">
            <ErrorState message={errorMessage(grants.error)} onRetry={() => grants.refetch()} />
          </div>
        ) : grants.data.length === 0 ? (
          <EmptyState
            title={filtered ? "No grants match these filters" : "No grants yet"}
            icon={<IconShield className="size-10" />}
          >
            {canEdit
              ? "Create one here, or grant a refused call from Denied calls in one step."
              : "Editors and admins create grants."}
          </EmptyState>
        ) : (
          <div className="relative overflow-x-auto">
            <table className="w-full text-left text-sm" aria-label="Grants">
              <TableHead
                columns={[
                  "Grant",
                  "Agent",
                  "Limit",
                  "Reason",
                  "Granted by",
                  "Status",
                  { label: "Actions", hidden: true, align: "right" },
                ]}
              />
              <tbody className="divide-y divide-slate-100">
                {grants.data.map((g) => {
                  const state = grantState(g);
                  return (
                    <tr key={g.id} className={g.revokedAt ? "text-slate-400" : undefined}>
                      <td className="px-4 py-2.5 align-top">
                        <p className="flex items-center gap-2 whitespace-nowrap">
                          <Badge tone={g.effect === "allow" ? "green" : "red"}>{g.effect}</Badge>
                          <code className="font-mono text-xs text-slate-900">{g.toolPattern}</code>
                        </p>
                        <p className="mt-0.5 text-xs text-slate-500">
                          on {g.server ?? g.upstreamId}
                        </p>
                      </td>
                      <td className="px-4 py-2.5 align-top font-medium break-words text-slate-900">
                        {g.agentName ?? g.agentId}
                      </td>
                      <td className="px-3 py-2.5 align-top whitespace-nowrap text-slate-600">
                        {g.rateLimit
                          ? `${g.rateLimit.max} per ${describeWindow(g.rateLimit.windowSeconds)}`
                          : "—"}
                      </td>
                      <td className="px-4 py-2.5 align-top text-slate-600">
                        <p className="max-w-40 truncate" title={g.reason ?? undefined}>
                          {g.reason ?? "—"}
                        </p>
                      </td>
                      <td className="px-4 py-2.5 align-top text-slate-600">
                        <p className="max-w-40 truncate" title={g.createdBy}>
                          {g.createdBy}
                        </p>
                        <p className="text-xs whitespace-nowrap text-slate-400 tabular-nums">
                          {formatDateTime(g.createdAt)}
                        </p>
                      </td>
                      <td className="px-4 py-2.5 align-top">
                        <Badge tone={state.tone}>{state.label}</Badge>
                        <p className="mt-0.5 max-w-32 text-xs text-slate-500 tabular-nums">
                          {g.revokedAt
                            ? formatDateTime(g.revokedAt)
                            : g.expiresAt
                              ? `expires ${formatDateTime(g.expiresAt)}`
                              : "no expiry"}
                        </p>
                      </td>
                      <td className="py-2.5 pr-3 text-right align-top">
                        {canEdit && !g.revokedAt ? (
                          <Button
                            size="sm"
                            variant="ghost"
                            className="text-rose-700 hover:bg-rose-50 hover:text-rose-800"
                            onClick={() => setRevoking(g)}
                            aria-label={`Revoke ${g.effect} ${g.toolPattern} for ${g.agentName ?? g.agentId}`}
                          >
                            Revoke
                          </Button>
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      {creating ? (
        <CreateGrantDialog
          onClose={() => setCreating(false)}
          defaults={{ agentId: agentId || undefined, upstreamId: upstreamId || undefined }}
        />
      ) : null}
      <ConfirmDialog
        open={!!revoking}
        title="Revoke this grant?"
        confirmLabel="Revoke grant"
        busy={revoke.isPending}
        onConfirm={confirmRevoke}
        onClose={() => setRevoking(null)}
      >
        {revoking ? (
          <p>
            <strong className="text-slate-900">{revoking.agentName ?? revoking.agentId}</strong>{" "}
            loses its {revoking.effect} of <span className="font-mono">{revoking.toolPattern}</span>{" "}
            on {revoking.server ?? "the server"} from the next call. The grant stays in the history.
          </p>
        ) : null}
      </ConfirmDialog>
    </div>
  );
}
