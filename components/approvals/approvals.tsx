"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useState } from "react";

import type { AuditEventView } from "@/lib/core/audit/views";
import { errorMessage } from "@/lib/client/api";
import { formatAgo, formatDateTime } from "@/lib/client/format";
import { useAuditStream } from "@/lib/client/use-audit-stream";
import { JsonBlock } from "@/components/audit/event-drawer";
import { useCan } from "@/components/console/session-context";
import { StreamIndicator } from "@/components/dashboard/stream-indicator";
import { Badge, type Tone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { TextAreaField } from "@/components/ui/field";
import { EmptyState, ErrorState, LoadingBlock } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { TableHead } from "@/components/ui/table-head";
import { approvalKeys, approvalListQuery, type ApprovalView, useDecideApproval } from "./queries";

const STATUS_TONE: Record<ApprovalView["status"], Tone> = {
  pending: "amber",
  approved: "green",
  denied: "red",
  expired: "slate",
  consumed: "blue",
};

function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}

function PendingCard({ a, now }: { a: ApprovalView; now: number }) {
  const editor = useCan("editor");
  const decide = useDecideApproval();
  const toast = useToast();
  const [comment, setComment] = useState("");

  async function run(decision: "approve" | "deny") {
    try {
      await decide.mutateAsync({ id: a.id, decision, comment });
      toast.show(
        decision === "approve"
          ? `Approved ${a.tool} for ${a.agentName}`
          : `Denied ${a.tool} for ${a.agentName}`,
        "success",
      );
    } catch (err) {
      toast.show(errorMessage(err), "error");
    }
  }

  const expiresIn = new Date(a.expiresAt).getTime() - now;
  return (
    <article
      className="rounded-xl bg-white shadow-xs ring-1 ring-amber-200"
      aria-label={`Approval for ${a.tool} by ${a.agentName}`}
      data-approval-id={a.id}
    >
      <header className="flex flex-wrap items-start justify-between gap-3 border-b border-slate-100 px-5 py-3.5">
        <div>
          <h3 className="font-mono text-sm font-semibold text-slate-900">
            {a.tool} <span className="font-sans font-normal text-slate-500">on</span> {a.server}
          </h3>
          <p className="mt-0.5 text-sm text-slate-600">
            Requested by <span className="font-medium text-slate-800">{a.agentName}</span> · rule{" "}
            <span className="font-medium">{a.rule}</span>
          </p>
        </div>
        <div className="text-right text-xs text-slate-500">
          <p>
            Waiting{" "}
            <span className="font-medium text-amber-700 tabular-nums">
              {formatAgo(a.requestedAt, now)}
            </span>
          </p>
          <p>
            {expiresIn > 0
              ? `Expires in ${formatAgo(new Date(now - expiresIn).toISOString(), now)}`
              : "Expired"}
          </p>
        </div>
      </header>
      <div className="grid gap-4 px-5 py-4 lg:grid-cols-[1fr_20rem]">
        <div>
          {a.reason ? <p className="mb-2 text-sm text-slate-600">{a.reason}</p> : null}
          <p className="mb-1 text-xs font-medium text-slate-500">
            Arguments{a.argumentsMasked ? " (values hidden for your role)" : ""}
          </p>
          <JsonBlock value={a.arguments} label={`Arguments of ${a.tool}`} />
        </div>
        <div className="space-y-3">
          <TextAreaField
            label="Comment"
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            maxLength={1000}
            placeholder="Optional: why you approve or deny"
            disabled={!editor}
          />
          <div className="flex gap-2">
            <Button
              variant="success"
              className="flex-1"
              onClick={() => run("approve")}
              disabled={!editor}
              busy={decide.isPending && decide.variables?.decision === "approve"}
            >
              Approve
            </Button>
            <Button
              variant="danger"
              className="flex-1"
              onClick={() => run("deny")}
              disabled={!editor}
              busy={decide.isPending && decide.variables?.decision === "deny"}
            >
              Deny
            </Button>
          </div>
          {!editor ? (
            <p className="text-xs text-slate-500">
              Viewers can watch the queue; editors and admins decide.
            </p>
          ) : null}
        </div>
      </div>
    </article>
  );
}

export function Approvals() {
  const qc = useQueryClient();
  const pending = useQuery(approvalListQuery("pending"));
  const all = useQuery(approvalListQuery());
  const now = useNow();
  const onEvents = useCallback(
    (rows: AuditEventView[]) => {
      if (
        rows.some((r) => r.action.startsWith("approval.") || r.decision === "approval_required")
      ) {
        void qc.invalidateQueries({ queryKey: approvalKeys.all });
      }
    },
    [qc],
  );
  const status = useAuditStream(onEvents);
  const history = (all.data ?? []).filter((a) => a.status !== "pending");

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-xl font-semibold tracking-tight text-slate-900">Approvals</h1>
          <p className="mt-1 text-sm text-slate-500">
            Calls a policy holds for a human. An approval lets exactly one identical call through.
          </p>
        </div>
        <StreamIndicator status={status} />
      </div>

      <section aria-labelledby="pending-heading" className="space-y-3">
        <h2 id="pending-heading" className="text-sm font-semibold text-slate-900">
          Pending{" "}
          {pending.data ? (
            <Badge tone={pending.data.length ? "amber" : "slate"}>{pending.data.length}</Badge>
          ) : null}
        </h2>
        {pending.isPending ? (
          <LoadingBlock />
        ) : pending.isError ? (
          <ErrorState message={errorMessage(pending.error)} onRetry={() => pending.refetch()} />
        ) : pending.data.length === 0 ? (
          <Card>
            <EmptyState title="Nothing is waiting for a decision">
              Calls that match a require_approval rule appear here the moment they arrive.
            </EmptyState>
          </Card>
        ) : (
          pending.data.map((a) => <PendingCard key={a.id} a={a} now={now} />)
        )}
      </section>

      <Card title="History" bodyClassName="p-0">
        {all.isPending ? (
          <LoadingBlock />
        ) : all.isError ? (
          <div className="p-4">
            <ErrorState message={errorMessage(all.error)} onRetry={() => all.refetch()} />
          </div>
        ) : history.length === 0 ? (
          <EmptyState title="No decided approvals yet" />
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm" aria-label="Approval history">
              <TableHead
                columns={["Requested", "Agent", "Call", "Status", "Decided by", "When", "Comment"]}
              />
              <tbody className="divide-y divide-slate-100">
                {history.map((a) => (
                  <tr key={a.id}>
                    <td className="px-4 py-2 whitespace-nowrap text-slate-500 tabular-nums">
                      {formatDateTime(a.requestedAt)}
                    </td>
                    <td className="px-4 py-2 text-slate-700">{a.agentName}</td>
                    <td className="px-4 py-2 font-mono text-xs text-slate-800">
                      {a.server}/{a.tool}
                    </td>
                    <td className="px-4 py-2">
                      <Badge tone={STATUS_TONE[a.status]} className="capitalize">
                        {a.status}
                      </Badge>
                    </td>
                    <td className="px-4 py-2 text-slate-700">{a.decidedBy ?? "—"}</td>
                    <td className="px-4 py-2 whitespace-nowrap text-slate-500 tabular-nums">
                      {a.decidedAt ? formatDateTime(a.decidedAt) : "—"}
                    </td>
                    <td
                      className="max-w-72 truncate px-4 py-2 text-slate-600"
                      title={a.comment ?? undefined}
                    >
                      {a.comment ?? ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}
