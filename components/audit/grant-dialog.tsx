"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useEffect, useMemo, useState } from "react";

import type { AuditEventView } from "@/lib/core/audit/views";
import { ApiError, errorMessage } from "@/lib/client/api";
import { type GrantFix, grantReach } from "@/lib/core/grants/reach";
import type { GrantCheckView } from "@/lib/core/simulation/views";
import { checkGrant } from "@/components/policies/simulation-queries";
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

const FIX_LABEL: Record<GrantFix, string | null> = {
  none: null,
  edit_hide: "Edit the hide list",
  edit_rule: "Edit the rule",
  revoke_deny_grant: "See this agent's grants",
  review_tool: "Review the tool's change",
  set_own_limit: null,
};

function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

/** Grants save only when the check says they change the decision (or cannot be sure). */
function canSave(check: GrantCheckView | undefined): boolean {
  if (!check || !check.applies || check.without.decision !== "deny") return false;
  return check.helps || check.uncertainRules.length > 0;
}

function CheckResult({
  check,
  pending,
  failed,
}: {
  check: GrantCheckView | undefined;
  pending: boolean;
  failed: string | null;
}) {
  if (failed) return <p className="text-sm text-rose-700">Could not check the grant: {failed}</p>;
  if (!check) return <p className="text-sm text-slate-500">Checking what this grant would do…</p>;
  const fix = FIX_LABEL[check.fix];
  return (
    <div
      role="status"
      data-testid="grant-check"
      className={
        check.helps
          ? "rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-900"
          : "rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900"
      }
      aria-busy={pending || undefined}
    >
      <p>{check.verdict}</p>
      {check.uncertainRules.length > 0 ? (
        <p className="mt-1 text-xs">
          Not certain: the audit log did not keep the arguments that{" "}
          {check.uncertainRules.map((r) => `"${r}"`).join(", ")} read.
        </p>
      ) : null}
      {fix && check.fixHref ? (
        <Link
          href={check.fixHref}
          className="mt-2 inline-block font-medium text-indigo-700 hover:underline"
        >
          {fix} →
        </Link>
      ) : null}
    </div>
  );
}

/**
 * Turns a denied call into a scoped grant: this agent, this server, this tool (editable
 * pattern). Before saving, the call is decided again with the proposed grant, and the dialog
 * says what the grant would really do; a grant that would not help cannot be saved (the API
 * refuses it too) and the dialog points to the fix that would.
 */
export function GrantDialog({ event, onClose }: { event: AuditEventView; onClose: () => void }) {
  const upstreams = useQuery(upstreamListQuery());
  const create = useCreateGrant();
  const toast = useToast();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [toolPattern, setToolPattern] = useState(event.tool ?? "");
  const [max, setMax] = useState("");
  const [windowSeconds, setWindowSeconds] = useState("60");
  const upstream = upstreams.data?.find((u) => u.name === event.server);
  const reach = grantReach(event.cause);
  // Debounced as text: a new object on every render would restart the timer after each one.
  const typed = JSON.stringify({
    eventId: event.id,
    toolPattern: toolPattern.trim(),
    rateLimit: Number(max) >= 1 ? { max: Number(max), windowSeconds: Number(windowSeconds) } : null,
  });
  const settled = useDebounced(typed, 300);
  const proposal = useMemo(
    () => JSON.parse(settled) as Parameters<typeof checkGrant>[0],
    [settled],
  );
  const check = useQuery({
    queryKey: ["grant-check", proposal],
    queryFn: ({ signal }) => checkGrant(proposal, signal),
    enabled: proposal.toolPattern !== "",
    placeholderData: keepPreviousData,
    retry: false,
  });

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (!upstream || !event.actorId) return;
    const f = new FormData(e.currentTarget);
    const expiry = EXPIRY[Number(f.get("expiry"))]?.ms ?? null;
    setErrors({});
    try {
      await create.mutateAsync({
        agentId: event.actorId,
        upstreamId: upstream.id,
        toolPattern,
        effect: "allow",
        expiresAt: expiry ? new Date(Date.now() + expiry).toISOString() : null,
        rateLimit: max ? { max: Number(max), windowSeconds: Number(windowSeconds) } : null,
        reason: String(f.get("reason") ?? "") || null,
        forEventId: event.id,
      });
      toast.show(
        `Granted ${toolPattern} to ${event.actorLabel ?? "the agent"}. ${check.data?.verdict ?? ""}`,
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
          value={toolPattern}
          onChange={(e) => setToolPattern(e.target.value)}
          required
          error={errors.toolPattern}
          hint="A tool name, or a glob such as get-* to grant several."
        />
        <CheckResult
          check={check.data}
          pending={check.isFetching}
          failed={check.isError ? errorMessage(check.error) : null}
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
            {reach.helps === "own_limit"
              ? "Limit for this agent (needed to lift a rate limit)"
              : "Limit for this agent (optional)"}
          </legend>
          <TextField
            label="At most (calls)"
            name="max"
            type="number"
            min={1}
            placeholder="No limit"
            value={max}
            onChange={(e) => setMax(e.target.value)}
            error={errors["rateLimit.max"]}
          />
          <SelectField
            label="Per"
            name="window"
            value={windowSeconds}
            onChange={(e) => setWindowSeconds(e.target.value)}
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
          disabled={!upstream || check.isFetching || !canSave(check.data)}
        />
      </form>
    </Dialog>
  );
}
