"use client";

import { useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import type { AuditEventView } from "@/lib/core/audit/views";
import { ApiError, errorMessage } from "@/lib/client/api";
import { upstreamListQuery } from "@/components/shared/queries";
import { Dialog, DialogActions } from "@/components/ui/dialog";
import { SelectField, TextField } from "@/components/ui/field";
import { useToast } from "@/components/ui/toast";
import { useCreateGrant } from "./queries";

const EXPIRY: { label: string; ms: number | null }[] = [
  { label: "1 hour", ms: 3_600_000 },
  { label: "24 hours", ms: 86_400_000 },
  { label: "7 days", ms: 7 * 86_400_000 },
  { label: "30 days", ms: 30 * 86_400_000 },
  { label: "Never", ms: null },
];

/** Turns a denied call into a scoped grant: this agent, this server, this tool (editable pattern). */
export function GrantDialog({ event, onClose }: { event: AuditEventView; onClose: () => void }) {
  const upstreams = useQuery(upstreamListQuery());
  const create = useCreateGrant();
  const toast = useToast();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const upstream = upstreams.data?.find((u) => u.name === event.server);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (!upstream || !event.actorId) return;
    const f = new FormData(e.currentTarget);
    const expiry = EXPIRY[Number(f.get("expiry"))]?.ms ?? null;
    const max = String(f.get("max") ?? "").trim();
    const windowSeconds = String(f.get("window") ?? "60");
    setErrors({});
    try {
      await create.mutateAsync({
        agentId: event.actorId,
        upstreamId: upstream.id,
        toolPattern: String(f.get("toolPattern") ?? ""),
        effect: "allow",
        expiresAt: expiry ? new Date(Date.now() + expiry).toISOString() : null,
        rateLimit: max ? { max: Number(max), windowSeconds: Number(windowSeconds) } : null,
        reason: String(f.get("reason") ?? "") || null,
      });
      toast.show(
        `Granted ${String(f.get("toolPattern"))} to ${event.actorLabel ?? "the agent"}; the next identical call goes through.`,
        "success",
      );
      onClose();
    } catch (err) {
      if (err instanceof ApiError && err.body.code === "VALIDATION") setErrors(err.fieldErrors());
      toast.show(errorMessage(err), "error");
    }
  }

  return (
    <Dialog
      open
      onClose={onClose}
      title="Grant this call"
      description={`Let ${event.actorLabel ?? "this agent"} call it on ${event.server}. Other agents are not affected.`}
    >
      <form id="grant-form" onSubmit={submit} className="space-y-4">
        <div className="grid grid-cols-2 gap-3">
          <TextField
            label="Agent"
            value={event.actorLabel ?? event.actorId ?? ""}
            readOnly
            disabled
          />
          <TextField label="Server" value={event.server ?? ""} readOnly disabled />
        </div>
        <TextField
          label="Tool"
          name="toolPattern"
          defaultValue={event.tool ?? ""}
          required
          error={errors.toolPattern}
          hint="A tool name, or a glob such as get-* to grant several."
        />
        <SelectField label="Expires after" name="expiry" defaultValue="1">
          {EXPIRY.map((x, i) => (
            <option key={x.label} value={i}>
              {x.label}
            </option>
          ))}
        </SelectField>
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
            error={errors["rateLimit.max"]}
          />
          <SelectField
            label="Per"
            name="window"
            defaultValue="60"
            error={errors["rateLimit.windowSeconds"]}
          >
            <option value="60">minute</option>
            <option value="3600">hour</option>
            <option value="86400">day</option>
          </SelectField>
        </fieldset>
        <TextField
          label="Reason"
          name="reason"
          placeholder="Why this agent needs it"
          maxLength={500}
          error={errors.reason}
        />
        {!upstream && upstreams.isSuccess ? (
          <p className="text-sm text-rose-600">Server {event.server} no longer exists.</p>
        ) : null}
        <DialogActions
          onCancel={onClose}
          submitLabel="Save grant"
          busy={create.isPending}
          disabled={!upstream}
        />
      </form>
    </Dialog>
  );
}
