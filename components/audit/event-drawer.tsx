"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type ReactNode, useState } from "react";

import type { AuditEventView } from "@/lib/core/audit/views";
import { errorMessage } from "@/lib/client/api";
import { formatDateTime, formatMs } from "@/lib/client/format";
import { useCan } from "@/components/console/session-context";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { ErrorState, LoadingBlock } from "@/components/ui/states";
import { DecisionBadge, OutcomeBadge } from "./decision-badge";
import { GrantDialog } from "./grant-dialog";
import { auditDetailQuery } from "./queries";

function Field({ label, children, mono }: { label: string; children: ReactNode; mono?: boolean }) {
  return (
    <div className="grid grid-cols-[9rem_1fr] gap-3 py-1.5 text-sm">
      <dt className="text-slate-500">{label}</dt>
      <dd
        className={
          mono ? "font-mono text-xs break-all text-slate-800" : "break-words text-slate-800"
        }
      >
        {children ?? <span className="text-slate-400">—</span>}
      </dd>
    </div>
  );
}

export function JsonBlock({ value, label }: { value: unknown; label: string }) {
  return (
    <pre
      aria-label={label}
      className="max-h-80 overflow-auto rounded-lg bg-slate-950 p-3 font-mono text-xs leading-relaxed break-all whitespace-pre-wrap text-slate-100"
    >
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

export function canGrant(e: AuditEventView): boolean {
  return (
    e.decision === "deny" &&
    e.actorType === "agent" &&
    !!e.actorId &&
    !!e.server &&
    !!e.tool &&
    e.action === "tool_call.decide"
  );
}

export function policyHref(e: Pick<AuditEventView, "server" | "rule" | "policyVersion">): string {
  const params = new URLSearchParams();
  if (e.rule) params.set("rule", e.rule);
  if (e.policyVersion) params.set("version", e.policyVersion);
  return `/console/policies/${encodeURIComponent(e.server ?? "")}${params.size ? `?${params}` : ""}`;
}

export function EventDrawer({ eventId, onClose }: { eventId: string | null; onClose: () => void }) {
  const q = useQuery({ ...auditDetailQuery(eventId ?? ""), enabled: !!eventId });
  const editor = useCan("editor");
  const [granting, setGranting] = useState(false);
  const e = q.data?.event;
  const outcome = q.data?.outcome ?? (e?.action === "tool_call.outcome" ? e : null);

  return (
    <>
      <Dialog
        open={!!eventId}
        onClose={onClose}
        variant="drawer"
        title={e ? `${e.tool ?? e.action}${e.server ? ` on ${e.server}` : ""}` : "Event"}
        description={e ? `${e.action} · #${e.seq}` : undefined}
        footer={
          e && e.server && e.action === "tool_call.decide" ? (
            <>
              {e.rule && !e.rule.startsWith("grant:") ? (
                <Link
                  href={policyHref(e)}
                  className="inline-flex h-9 items-center rounded-md px-3.5 text-sm font-medium text-slate-800 ring-1 ring-slate-300 ring-inset hover:bg-slate-50"
                >
                  View rule in policy
                </Link>
              ) : (
                <Link
                  href={policyHref(e)}
                  className="inline-flex h-9 items-center rounded-md px-3.5 text-sm font-medium text-slate-800 ring-1 ring-slate-300 ring-inset hover:bg-slate-50"
                >
                  View policy
                </Link>
              )}
              {canGrant(e) && editor ? (
                <Button onClick={() => setGranting(true)}>Grant this call…</Button>
              ) : null}
            </>
          ) : null
        }
      >
        {q.isPending && eventId ? <LoadingBlock /> : null}
        {q.isError ? (
          <ErrorState message={errorMessage(q.error)} onRetry={() => q.refetch()} />
        ) : null}
        {e ? (
          <div className="space-y-5">
            <dl className="divide-y divide-slate-100">
              <Field label="Time">{formatDateTime(e.occurredAt)}</Field>
              <Field label="Actor">
                {e.actorLabel ?? "anonymous"}{" "}
                <span className="text-slate-400">({e.actorType})</span>
              </Field>
              <Field label="Server">{e.server}</Field>
              <Field label="Tool" mono>
                {e.tool}
              </Field>
              {e.decision ? (
                <Field label="Decision">
                  <DecisionBadge decision={e.decision} cause={e.cause} />
                </Field>
              ) : null}
              <Field label="Rule">{e.rule}</Field>
              <Field label="Reason">{e.reason}</Field>
              <Field label="Told the agent">{e.message}</Field>
              <Field label="Policy version">{e.policyVersion}</Field>
              <Field label="Outcome">
                <OutcomeBadge outcome={outcome?.outcome ?? null} />
              </Field>
              <Field label="Latency">{outcome ? formatMs(outcome.latencyMs) : null}</Field>
              <Field label="Result size">
                {outcome?.resultBytes != null ? `${outcome.resultBytes} bytes` : null}
              </Field>
              <Field label="Source">{e.source}</Field>
              <Field label="Request" mono>
                {e.requestId}
              </Field>
              <Field label="Event id" mono>
                {e.id}
              </Field>
              {e.correlationId ? (
                <Field label="Decision id" mono>
                  {e.correlationId}
                </Field>
              ) : null}
              <Field label="Hash" mono>
                {e.hash}
              </Field>
              <Field label="Previous hash" mono>
                {e.prevHash}
              </Field>
            </dl>
            {e.arguments !== null ? (
              <section>
                <h3 className="mb-1.5 flex items-center justify-between text-sm font-semibold text-slate-900">
                  Arguments
                  <span className="text-xs font-normal text-slate-500">
                    {e.argumentsMasked
                      ? "values hidden for your role"
                      : `stored as: ${e.argumentsMode ?? "full"}`}
                  </span>
                </h3>
                <JsonBlock value={e.arguments} label="Arguments" />
              </section>
            ) : null}
            {e.detail !== null && e.detail !== undefined ? (
              <section>
                <h3 className="mb-1.5 text-sm font-semibold text-slate-900">Details</h3>
                <JsonBlock value={e.detail} label="Details" />
              </section>
            ) : null}
          </div>
        ) : null}
      </Dialog>
      {e && granting ? <GrantDialog event={e} onClose={() => setGranting(false)} /> : null}
    </>
  );
}
