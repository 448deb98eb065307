"use client";

import { Fragment, useState } from "react";
import { stringify } from "yaml";

import { errorMessage } from "@/lib/client/api";
import { formatDateTime } from "@/lib/client/format";
import type { ToolView } from "@/lib/services/inventory";
import { useCan } from "@/components/console/session-context";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { EmptyState } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { TableHead } from "@/components/ui/table-head";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { LineDiff, stableJson } from "./line-diff";
import { useAcceptToolChange } from "./queries";
import { RiskBadge, ToolStatusBadge } from "./risk-badge";

export const ruleText = (t: ToolView) =>
  stringify(t.recommendedRule, { collectionStyle: "flow" }).trim();

/** The quarantine review: the pinned definition against the one the server now advertises. */
export function QuarantineReview({ tools }: { tools: ToolView[] }) {
  const canAdmin = useCan("admin");
  const accept = useAcceptToolChange();
  const toast = useToast();
  const [confirming, setConfirming] = useState<ToolView | null>(null);
  if (tools.length === 0) return null;

  async function confirm() {
    if (!confirming) return;
    try {
      await accept.mutateAsync(confirming.id);
      toast.show(
        `Accepted the new definition of ${confirming.name}; it is listed and callable again.`,
        "success",
      );
      setConfirming(null);
    } catch (err) {
      toast.show(errorMessage(err), "error");
    }
  }

  return (
    <section aria-labelledby="quarantine-heading" className="space-y-3">
      <div>
        <h2 id="quarantine-heading" className="text-base font-semibold text-slate-900">
          Waiting for review{" "}
          <span className="ml-1 rounded-full bg-rose-100 px-2 py-0.5 text-xs font-medium text-rose-700 tabular-nums">
            {tools.length}
          </span>
        </h2>
        <p className="text-sm text-slate-500">
          The server changed these tools after they were pinned. Until the change is accepted they
          are hidden from agents and refused. Read the diff before accepting: a changed description
          can carry instructions aimed at the model.
        </p>
      </div>
      {tools.map((t) => (
        <Card
          key={t.id}
          title={
            <span className="flex items-center gap-2">
              <span className="font-mono">{t.name}</span>
              <ToolStatusBadge status={t.status} />
              {t.quarantinedAt ? (
                <span className="text-xs font-normal text-slate-500">
                  since {formatDateTime(t.quarantinedAt)}
                </span>
              ) : null}
            </span>
          }
          actions={
            canAdmin ? (
              <Button
                size="sm"
                variant="success"
                onClick={() => setConfirming(t)}
                aria-label={`Accept change to ${t.name}`}
              >
                Accept change
              </Button>
            ) : (
              <span className="text-xs text-slate-500">An admin accepts changes</span>
            )
          }
        >
          <LineDiff
            before={stableJson(t.definition)}
            after={stableJson(t.pendingDefinition ?? {})}
            beforeLabel={`pinned ${t.approvedHash.slice(0, 12)}`}
            afterLabel={`advertised now ${t.pendingHash?.slice(0, 12) ?? ""}`}
            label={`Definition change of ${t.name}`}
          />
        </Card>
      ))}
      <ConfirmDialog
        open={!!confirming}
        title="Accept this change?"
        confirmLabel="Accept change"
        tone="primary"
        busy={accept.isPending}
        onConfirm={confirm}
        onClose={() => setConfirming(null)}
      >
        {confirming ? (
          <p>
            The new definition of{" "}
            <strong className="font-mono text-slate-900">{confirming.name}</strong> becomes the
            pinned one; agents see and can call it again from the next request, under the
            server&apos;s policy.
          </p>
        ) : null}
      </ConfirmDialog>
    </section>
  );
}

export function ToolInventory({ server, tools }: { server: string; tools: ToolView[] }) {
  const [open, setOpen] = useState<string | null>(null);
  if (tools.length === 0) {
    return (
      <Card title="Tool inventory">
        <EmptyState title="No tools recorded yet">
          The gateway records this server&apos;s tools the first time an agent lists them through{" "}
          <code className="font-mono">/mcp/{server}</code>.
        </EmptyState>
      </Card>
    );
  }
  return (
    <Card title={`Tool inventory (${tools.length})`} bodyClassName="p-0">
      <div className="relative overflow-x-auto">
        <table className="w-full text-left text-sm" aria-label={`Tools of ${server}`}>
          <TableHead columns={["Tool", "Risk", "Recommended rule", "Status", "Seen"]} />
          <tbody className="divide-y divide-slate-100">
            {tools.map((t) => {
              const expanded = open === t.id;
              return (
                <Fragment key={t.id}>
                  <tr className={cn(t.status === "quarantined" && "bg-rose-50/40")}>
                    <td className="min-w-64 px-4 py-2.5 align-top">
                      <button
                        type="button"
                        onClick={() => setOpen(expanded ? null : t.id)}
                        aria-expanded={expanded}
                        aria-controls={`tool-${t.id}`}
                        className="rounded text-left font-mono font-medium whitespace-nowrap text-slate-900 hover:text-indigo-700 focus-visible:outline-2 focus-visible:outline-indigo-600"
                      >
                        <span aria-hidden className="mr-1 inline-block w-3 text-slate-400">
                          {expanded ? "▾" : "▸"}
                        </span>
                        {t.name}
                      </button>
                      {t.description ? (
                        <p className="mt-0.5 line-clamp-2 max-w-md pl-4 text-xs text-slate-500">
                          {t.description}
                        </p>
                      ) : null}
                    </td>
                    <td className="px-4 py-2.5 align-top">
                      <RiskBadge category={t.riskCategory} level={t.riskLevel} />
                      {t.hintConflicts.length > 0 ? (
                        <p className="mt-1" title={t.hintConflicts.join("\n")}>
                          <Badge tone="amber">Hints disagree</Badge>
                        </p>
                      ) : null}
                    </td>
                    <td className="max-w-72 px-4 py-2.5 align-top font-mono text-xs text-slate-700">
                      {ruleText(t)}
                    </td>
                    <td className="px-4 py-2.5 align-top">
                      <ToolStatusBadge status={t.status} />
                    </td>
                    <td className="px-4 py-2.5 align-top text-xs whitespace-nowrap text-slate-600 tabular-nums">
                      <p>
                        <span className="text-slate-400">first</span>{" "}
                        {formatDateTime(t.firstSeenAt)}
                      </p>
                      <p>
                        <span className="text-slate-400">last</span> {formatDateTime(t.lastSeenAt)}
                      </p>
                    </td>
                  </tr>
                  {expanded ? (
                    <tr id={`tool-${t.id}`}>
                      <td colSpan={5} className="bg-slate-50/70 px-4 py-3">
                        <div className="grid gap-4 lg:grid-cols-2">
                          <div>
                            <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">
                              Why {t.riskCategory}
                            </h3>
                            <ul className="mt-1 list-disc space-y-0.5 pl-5 text-sm text-slate-700">
                              {t.riskEvidence.map((e, i) => (
                                <li key={i}>{e}</li>
                              ))}
                            </ul>
                            <p className="mt-1 text-xs text-slate-500">
                              Confidence {Math.round(t.riskConfidence * 100)}%
                            </p>
                            {t.hintConflicts.length > 0 ? (
                              <>
                                <h3 className="mt-3 text-xs font-semibold tracking-wide text-amber-700 uppercase">
                                  The server&apos;s hints disagree
                                </h3>
                                <ul className="mt-1 list-disc space-y-0.5 pl-5 text-sm text-amber-900">
                                  {t.hintConflicts.map((c) => (
                                    <li key={c}>{c}</li>
                                  ))}
                                </ul>
                                <p className="mt-1 text-xs text-slate-500">
                                  Annotations come from the server and can only raise a rating.
                                </p>
                              </>
                            ) : null}
                            {t.description ? (
                              <>
                                <h3 className="mt-3 text-xs font-semibold tracking-wide text-slate-500 uppercase">
                                  Description
                                </h3>
                                <p className="mt-1 text-sm whitespace-pre-wrap text-slate-700">
                                  {t.description}
                                </p>
                              </>
                            ) : null}
                          </div>
                          <div>
                            <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">
                              Pinned definition
                            </h3>
                            <pre className="mt-1 max-h-72 overflow-auto rounded-md bg-white p-2 font-mono text-xs text-slate-700 ring-1 ring-slate-200">
                              {stableJson(t.definition)}
                            </pre>
                          </div>
                        </div>
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
