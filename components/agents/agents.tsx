"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";

import { errorMessage, reportFormError } from "@/lib/client/api";
import { formatDateTime } from "@/lib/client/format";
import type { AgentKeyView, AgentView } from "@/lib/core/agents/views";
import { useCan } from "@/components/console/session-context";
import { agentListQuery } from "@/components/shared/queries";
import { grantListQuery } from "@/components/grants/queries";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { Dialog, DialogActions } from "@/components/ui/dialog";
import { SelectField, TextAreaField, TextField } from "@/components/ui/field";
import { IconUsers } from "@/components/ui/icons";
import { EmptyState, ErrorState, LoadingBlock } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { TableHead } from "@/components/ui/table-head";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { KeyRevealDialog } from "./key-reveal-dialog";
import {
  type IssuedKey,
  useCreateAgent,
  useCreateAgentKey,
  useRevokeAgentKey,
  useUpdateAgent,
} from "./queries";

const KEY_EXPIRY: { label: string; days: number | null }[] = [
  { label: "Never", days: null },
  { label: "30 days", days: 30 },
  { label: "90 days", days: 90 },
  { label: "1 year", days: 365 },
];

function keyState(
  k: AgentKeyView,
  now = Date.now(),
): { tone: "green" | "red" | "amber"; label: string } {
  if (k.revokedAt) return { tone: "red", label: "Revoked" };
  if (k.expiresAt && new Date(k.expiresAt).getTime() <= now)
    return { tone: "amber", label: "Expired" };
  return { tone: "green", label: "Active" };
}

function CreateAgentDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const create = useCreateAgent();
  const toast = useToast();
  const [errors, setErrors] = useState<Record<string, string>>({});

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setErrors({});
    try {
      const agent = await create.mutateAsync({
        name: String(f.get("name") ?? ""),
        owner: String(f.get("owner") ?? "") || null,
        description: String(f.get("description") ?? "") || null,
      });
      toast.show(`Created agent ${agent.name}. Issue it a key to connect.`, "success");
      onClose();
    } catch (err) {
      reportFormError(err, setErrors, (m) => toast.show(m, "error"));
    }
  }

  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="New agent"
      description="An identity for one AI agent or application. It connects with a key you issue next."
    >
      <form onSubmit={submit} className="space-y-4" noValidate>
        <TextField
          label="Name"
          name="name"
          required
          maxLength={80}
          autoComplete="off"
          placeholder="support-bot"
          error={errors.name}
          hint="Shown in the audit log and in grants."
        />
        <TextField
          label="Owner"
          name="owner"
          maxLength={200}
          placeholder="Team or person responsible"
          error={errors.owner}
        />
        <TextAreaField
          label="Description"
          name="description"
          maxLength={1000}
          placeholder="What this agent does"
          error={errors.description}
        />
        <DialogActions onCancel={onClose} submitLabel="Create agent" busy={create.isPending} />
      </form>
    </Dialog>
  );
}

function CreateKeyDialog({
  agent,
  onClose,
  onIssued,
}: {
  agent: AgentView;
  onClose: () => void;
  onIssued: (k: IssuedKey) => void;
}) {
  const create = useCreateAgentKey();
  const toast = useToast();
  const [errors, setErrors] = useState<Record<string, string>>({});

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const days = KEY_EXPIRY[Number(f.get("expiry"))]?.days ?? null;
    setErrors({});
    try {
      const issued = await create.mutateAsync({
        agentId: agent.id,
        name: String(f.get("name") ?? ""),
        expiresAt: days ? new Date(Date.now() + days * 86_400_000).toISOString() : null,
      });
      onIssued(issued);
    } catch (err) {
      reportFormError(err, setErrors, (m) => toast.show(m, "error"));
    }
  }

  return (
    <Dialog
      open
      onClose={onClose}
      title={`New key for ${agent.name}`}
      description="The key is shown once, right after you create it."
    >
      <form onSubmit={submit} className="space-y-4" noValidate>
        <TextField
          label="Key name"
          name="name"
          required
          maxLength={80}
          autoComplete="off"
          placeholder="production"
          error={errors.name}
          hint="Where the key is used, so you know which one to revoke."
        />
        <SelectField label="Expires" name="expiry" defaultValue="0" error={errors.expiresAt}>
          {KEY_EXPIRY.map((x, i) => (
            <option key={x.label} value={i}>
              {x.label === "Never" ? "Never" : `After ${x.label}`}
            </option>
          ))}
        </SelectField>
        <DialogActions onCancel={onClose} submitLabel="Create key" busy={create.isPending} />
      </form>
    </Dialog>
  );
}

function KeysTable({
  agent,
  canAdmin,
  onRevoke,
}: {
  agent: AgentView;
  canAdmin: boolean;
  onRevoke: (k: AgentKeyView) => void;
}) {
  if (agent.keys.length === 0) {
    return (
      <p className="px-4 py-5 text-sm text-slate-500">
        No keys yet.{" "}
        {canAdmin ? "Create one to let this agent connect." : "An admin can issue one."}
      </p>
    );
  }
  return (
    <div className="relative overflow-x-auto">
      <table className="w-full text-left text-sm" aria-label={`Keys of ${agent.name}`}>
        <TableHead
          columns={[
            "Key",
            "Created",
            "Last used",
            "Expires",
            "Status",
            { label: "Actions", hidden: true, align: "right" },
          ]}
        />
        <tbody className="divide-y divide-slate-100">
          {agent.keys.map((k) => {
            const state = keyState(k);
            return (
              <tr key={k.id} className={k.revokedAt ? "text-slate-400" : undefined}>
                <td className="px-4 py-2.5">
                  <p className="font-medium text-slate-900">{k.name}</p>
                  <p className="font-mono text-xs text-slate-500">{k.prefix}…</p>
                </td>
                <td className="px-4 py-2.5 text-slate-600 tabular-nums">
                  {formatDateTime(k.createdAt)}
                </td>
                <td className="px-4 py-2.5 text-slate-600 tabular-nums">
                  {k.lastUsedAt ? formatDateTime(k.lastUsedAt) : "Never"}
                </td>
                <td className="px-4 py-2.5 text-slate-600 tabular-nums">
                  {k.expiresAt ? formatDateTime(k.expiresAt) : "Never"}
                </td>
                <td className="px-4 py-2.5">
                  <Badge tone={state.tone}>{state.label}</Badge>
                  {k.revokedAt ? (
                    <span className="ml-2 text-xs">{formatDateTime(k.revokedAt)}</span>
                  ) : null}
                </td>
                <td className="px-4 py-2.5 text-right">
                  {canAdmin && !k.revokedAt ? (
                    <Button
                      size="sm"
                      variant="ghost"
                      className="text-rose-700 hover:bg-rose-50 hover:text-rose-800"
                      onClick={() => onRevoke(k)}
                      aria-label={`Revoke key ${k.name} (${k.prefix}) of ${agent.name}`}
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
  );
}

type Pending =
  | { kind: "revoke"; agent: AgentView; key: AgentKeyView }
  | { kind: "disable"; agent: AgentView }
  | null;

export function Agents() {
  const canAdmin = useCan("admin");
  const agents = useQuery(agentListQuery());
  const grants = useQuery(grantListQuery());
  const update = useUpdateAgent();
  const revoke = useRevokeAgentKey();
  const toast = useToast();
  const [creating, setCreating] = useState(false);
  const [keyFor, setKeyFor] = useState<AgentView | null>(null);
  const [issued, setIssued] = useState<{ agent: string; key: IssuedKey } | null>(null);
  const [pending, setPending] = useState<Pending>(null);

  const grantCount = (agentId: string) => grants.data?.filter((g) => g.agentId === agentId).length;

  async function confirm() {
    if (!pending) return;
    try {
      if (pending.kind === "revoke") {
        await revoke.mutateAsync(pending.key.id);
        toast.show(
          `Revoked ${pending.key.name} (${pending.key.prefix}…). The gateway refuses it from the next request.`,
          "success",
        );
      } else {
        await update.mutateAsync({ agentId: pending.agent.id, disabled: true });
        toast.show(`${pending.agent.name} is disabled; all of its keys are refused.`, "success");
      }
      setPending(null);
    } catch (err) {
      toast.show(errorMessage(err), "error");
    }
  }

  async function enable(agent: AgentView) {
    try {
      await update.mutateAsync({ agentId: agent.id, disabled: false });
      toast.show(`${agent.name} is enabled again; its unrevoked keys work.`, "success");
    } catch (err) {
      toast.show(errorMessage(err), "error");
    }
  }

  return (
    <div>
      <PageHeader
        title="Agents"
        description="The identities that call tools through the gateway, and their API keys."
        actions={canAdmin ? <Button onClick={() => setCreating(true)}>New agent</Button> : null}
      />
      {!canAdmin ? (
        <p className="mb-4 rounded-lg bg-slate-100 px-4 py-2.5 text-sm text-slate-600" role="note">
          Agents and keys are identities: only admins create agents, issue or revoke keys and
          disable agents. You can see them.
        </p>
      ) : null}
      {agents.isPending ? (
        <Card>
          <LoadingBlock label="Loading agents…" />
        </Card>
      ) : agents.isError ? (
        <ErrorState message={errorMessage(agents.error)} onRetry={() => agents.refetch()} />
      ) : agents.data.length === 0 ? (
        <Card>
          <EmptyState title="No agents yet" icon={<IconUsers className="size-10" />}>
            {canAdmin
              ? "Create an agent, then issue it a key to put in the MCP client's configuration."
              : "An admin creates agents and their keys."}
          </EmptyState>
        </Card>
      ) : (
        <ul className="space-y-4" aria-label="Agents">
          {agents.data.map((agent) => {
            const count = grantCount(agent.id);
            return (
              <li key={agent.id}>
                <Card
                  bodyClassName="p-0"
                  title={
                    <span className="flex flex-wrap items-center gap-2">
                      <Link
                        href={`/console/agents/${encodeURIComponent(agent.id)}`}
                        className={`rounded hover:text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600 ${agent.disabled ? "text-slate-400" : ""}`}
                      >
                        {agent.name}
                      </Link>
                      {agent.disabled ? (
                        <Badge tone="red">Disabled</Badge>
                      ) : (
                        <Badge tone="green">Enabled</Badge>
                      )}
                      {agent.owner ? (
                        <span className="text-xs font-normal text-slate-500">
                          owner {agent.owner}
                        </span>
                      ) : null}
                    </span>
                  }
                  actions={
                    <div className="flex items-center gap-2">
                      <Link
                        href={`/console/grants?agent=${encodeURIComponent(agent.id)}`}
                        className="rounded px-1 text-sm text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600"
                      >
                        {count === undefined
                          ? "Grants"
                          : `${count} active grant${count === 1 ? "" : "s"}`}
                      </Link>
                      {canAdmin ? (
                        <>
                          <Button
                            size="sm"
                            variant="secondary"
                            disabled={agent.disabled}
                            onClick={() => setKeyFor(agent)}
                            aria-label={`New key for ${agent.name}`}
                          >
                            New key
                          </Button>
                          {agent.disabled ? (
                            <Button
                              size="sm"
                              variant="secondary"
                              busy={update.isPending && update.variables?.agentId === agent.id}
                              onClick={() => enable(agent)}
                              aria-label={`Enable ${agent.name}`}
                            >
                              Enable
                            </Button>
                          ) : (
                            <Button
                              size="sm"
                              variant="ghost"
                              onClick={() => setPending({ kind: "disable", agent })}
                              aria-label={`Disable ${agent.name}`}
                            >
                              Disable
                            </Button>
                          )}
                        </>
                      ) : null}
                    </div>
                  }
                >
                  {agent.description ? (
                    <p className="border-b border-slate-100 px-4 py-2.5 text-sm text-slate-600">
                      {agent.description}
                    </p>
                  ) : null}
                  <KeysTable
                    agent={agent}
                    canAdmin={canAdmin}
                    onRevoke={(key) => setPending({ kind: "revoke", agent, key })}
                  />
                </Card>
              </li>
            );
          })}
        </ul>
      )}
      <CreateAgentDialog open={creating} onClose={() => setCreating(false)} />
      {keyFor ? (
        <CreateKeyDialog
          agent={keyFor}
          onClose={() => setKeyFor(null)}
          onIssued={(key) => {
            setIssued({ agent: keyFor.name, key });
            setKeyFor(null);
          }}
        />
      ) : null}
      {issued ? (
        <KeyRevealDialog
          agentName={issued.agent}
          issued={issued.key}
          onClose={() => setIssued(null)}
        />
      ) : null}
      <ConfirmDialog
        open={pending?.kind === "revoke"}
        title="Revoke this key?"
        confirmLabel="Revoke key"
        busy={revoke.isPending}
        onConfirm={confirm}
        onClose={() => setPending(null)}
      >
        {pending?.kind === "revoke" ? (
          <>
            <p>
              <strong className="text-slate-900">{pending.key.name}</strong> (
              <span className="font-mono">{pending.key.prefix}…</span>) of {pending.agent.name}{" "}
              stops working on the gateway&apos;s next request, open sessions included.
            </p>
            <p>This cannot be undone; issue a new key if the agent still needs access.</p>
          </>
        ) : null}
      </ConfirmDialog>
      <ConfirmDialog
        open={pending?.kind === "disable"}
        title="Disable this agent?"
        confirmLabel="Disable agent"
        busy={update.isPending}
        onConfirm={confirm}
        onClose={() => setPending(null)}
      >
        {pending?.kind === "disable" ? (
          <>
            <p>
              Every key of <strong className="text-slate-900">{pending.agent.name}</strong> is
              refused from the gateway&apos;s next request. Its keys and grants are kept.
            </p>
            <p>You can enable it again later.</p>
          </>
        ) : null}
      </ConfirmDialog>
    </div>
  );
}
