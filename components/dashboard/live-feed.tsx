"use client";

import Link from "next/link";

import type { AuditEventView } from "@/lib/core/audit/views";
import { formatMs, formatTime } from "@/lib/client/format";
import { DecisionBadge, OutcomeBadge } from "@/components/audit/decision-badge";
import { EmptyState } from "@/components/ui/states";

export type FeedRow = AuditEventView & { outcomeRow?: AuditEventView };

export function LiveFeed({ rows, onOpen }: { rows: FeedRow[]; onOpen: (id: string) => void }) {
  if (rows.length === 0) {
    return (
      <EmptyState title="Waiting for tool calls">
        Connect an agent to the gateway (or run{" "}
        <code className="rounded bg-slate-100 px-1 text-xs">npm run demo</code>) and decisions
        stream in here.
      </EmptyState>
    );
  }
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" aria-label="Live decisions">
        <thead className="text-xs text-slate-500">
          <tr className="border-b border-slate-100">
            <th scope="col" className="py-2 pr-2 pl-4 font-medium">
              Time
            </th>
            <th scope="col" className="px-2 py-2 font-medium">
              Agent
            </th>
            <th scope="col" className="px-2 py-2 font-medium">
              Server / tool
            </th>
            <th scope="col" className="px-2 py-2 font-medium">
              Decision
            </th>
            <th scope="col" className="px-2 py-2 font-medium">
              Rule
            </th>
            <th scope="col" className="px-2 py-2 font-medium">
              Outcome
            </th>
            <th scope="col" className="py-2 pr-4 pl-2 text-right font-medium">
              Latency
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100" data-testid="live-feed">
          {rows.map((r) => (
            <tr
              key={r.id}
              className="animate-[fade-in_400ms_ease-out] hover:bg-slate-50"
              data-event-id={r.id}
            >
              <td className="py-2 pr-2 pl-4 whitespace-nowrap text-slate-500 tabular-nums">
                {formatTime(r.occurredAt)}
              </td>
              <td className="max-w-32 truncate px-2 py-2 text-slate-700">
                {r.actorLabel ?? "anonymous"}
              </td>
              <td className="max-w-64 px-2 py-2">
                {/* The name shrinks with an ellipsis; an inline button would vanish whole. */}
                <div className="flex min-w-0 items-baseline gap-1.5">
                  {r.server ? (
                    <span className="max-w-28 shrink-0 truncate text-slate-500" title={r.server}>
                      {r.server} /
                    </span>
                  ) : null}
                  <button
                    type="button"
                    onClick={() => onOpen(r.id)}
                    title={r.tool ?? undefined}
                    className="min-w-0 truncate font-mono text-xs font-medium text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600"
                  >
                    {r.tool ?? (r.action === "message.refuse" ? "refused request" : r.action)}
                  </button>
                </div>
              </td>
              <td className="px-2 py-2 whitespace-nowrap">
                <DecisionBadge decision={r.decision} cause={r.cause} />
              </td>
              <td
                className="max-w-40 truncate px-2 py-2 text-slate-600"
                title={r.rule ?? undefined}
              >
                {r.rule ?? "—"}
              </td>
              <td className="px-2 py-2">
                <OutcomeBadge outcome={r.outcomeRow?.outcome ?? null} />
              </td>
              <td className="py-2 pr-4 pl-2 text-right text-slate-600 tabular-nums">
                {formatMs(r.outcomeRow?.latencyMs)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="px-4 pt-3 text-xs text-slate-500">
        Showing the latest {rows.length} decisions.{" "}
        <Link
          href="/console/audit?view=decisions"
          className="font-medium text-indigo-700 hover:underline"
        >
          Open the audit log
        </Link>
      </p>
    </div>
  );
}
