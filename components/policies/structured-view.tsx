"use client";

import { useQuery } from "@tanstack/react-query";
import { useDeferredValue, useMemo, useState } from "react";
import { stringify } from "yaml";

import { errorMessage } from "@/lib/client/api";
import { AppError } from "@/lib/core/errors";
import { describeToolPolicy, type ToolVerdict } from "@/lib/core/policy/describe";
import {
  applyQuickAction,
  describeRecommendation,
  type QuickAction,
  RATE_LIMIT_PRESETS,
  type RateLimitPreset,
} from "@/lib/core/policy/edit/quick-actions";
import { parsePolicy } from "@/lib/core/policy/parse";
import type { Policy } from "@/lib/core/policy/types";
import { classifyTool, type RiskAssessment, type ToolAnnotations } from "@/lib/core/risk";
import type { ToolView } from "@/lib/services/inventory";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { toolListQuery } from "@/components/tools/queries";
import { RiskBadge } from "@/components/tools/risk-badge";
import { Badge, type Tone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { EmptyState, ErrorState, LoadingBlock } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";

const VERDICT: Record<ToolVerdict, { tone: Tone; label: string }> = {
  hidden: { tone: "slate", label: "Hidden" },
  not_listed: { tone: "slate", label: "Not listed" },
  denied: { tone: "red", label: "Denied" },
  approval: { tone: "amber", label: "Approval" },
  conditional: { tone: "blue", label: "Conditional" },
  limited: { tone: "blue", label: "Limited" },
  allowed: { tone: "green", label: "Allowed" },
};

type Row = { tool: ToolView; risk: RiskAssessment };

function assess(t: ToolView): RiskAssessment {
  const d = t.definition as { inputSchema?: unknown; annotations?: ToolAnnotations | null };
  return classifyTool({
    name: t.name,
    description: t.description,
    inputSchema: d.inputSchema,
    annotations: d.annotations ?? null,
  });
}

/** The policy parsed from the draft; null while the draft has problems (the YAML shows them). */
function useParsed(text: string): Policy | null {
  const deferred = useDeferredValue(text);
  return useMemo(() => {
    if (deferred.trim() === "") return null;
    const parsed = parsePolicy(deferred);
    return parsed.ok ? parsed.policy : null;
  }, [deferred]);
}

function ToolCard({
  row,
  policy,
  canEdit,
  onAction,
}: {
  row: Row;
  policy: Policy | null;
  canEdit: boolean;
  onAction: (tool: string, action: QuickAction, replaces?: number) => void;
}) {
  const { tool, risk } = row;
  const d = policy ? describeToolPolicy(policy, tool.name) : null;
  const own = policy?.tools.find((e) => e.kind === "exact" && e.key === tool.name);
  const verdict = d ? VERDICT[d.verdict] : null;
  const disabled = !policy;
  const recommendation = describeRecommendation(risk.recommendedRule);

  return (
    <li className="px-4 py-3" data-tool={tool.name} aria-label={`Tool ${tool.name}`}>
      <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
        <h3 className="min-w-0 font-mono text-sm font-medium break-all text-slate-900">
          {tool.name}
        </h3>
        <RiskBadge category={risk.category} level={risk.level} />
        {verdict ? <Badge tone={verdict.tone}>{verdict.label}</Badge> : null}
        {tool.status === "quarantined" ? <Badge tone="red">Quarantined</Badge> : null}
      </div>
      {d ? (
        <>
          <p className="mt-1 text-sm text-slate-700">{d.headline}</p>
          {d.rules.length > 0 ? (
            <ul className="mt-1.5 space-y-1 text-[13px] leading-snug text-slate-600">
              {d.rules.map((r, i) => (
                <li key={i} className="flex gap-2">
                  <span
                    aria-hidden
                    className="mt-[7px] size-1 shrink-0 rounded-full bg-slate-400"
                  />
                  <span className="min-w-0">
                    <span className="font-medium text-slate-800">{r.name}</span>
                    {r.entry !== tool.name ? (
                      <span className="text-slate-400">
                        {" "}
                        (from <code className="font-mono">{r.entry}</code>)
                      </span>
                    ) : null}
                    : {r.text}
                  </span>
                </li>
              ))}
            </ul>
          ) : null}
        </>
      ) : null}
      {risk.hintConflicts.length > 0 ? (
        <p className="mt-1.5 text-xs text-amber-800" title={risk.hintConflicts.join("\n")}>
          The server&apos;s hints disagree with this rating.
        </p>
      ) : null}
      <p className="mt-1.5 text-xs text-slate-500">
        Recommended for {risk.category}: <span className="text-slate-700">{recommendation}</span>
      </p>
      {canEdit ? (
        <div
          className="mt-2 flex flex-wrap items-center gap-1.5"
          role="group"
          aria-label={`Quick actions for ${tool.name}`}
        >
          {d?.hiddenBy === tool.name ? (
            <Button
              size="sm"
              variant="secondary"
              disabled={disabled}
              onClick={() => onAction(tool.name, { kind: "unhide" })}
            >
              Unhide
            </Button>
          ) : (
            <Button
              size="sm"
              variant="secondary"
              disabled={disabled || d?.hiddenBy !== null}
              onClick={() => onAction(tool.name, { kind: "hide" })}
            >
              Hide
            </Button>
          )}
          <Button
            size="sm"
            variant="secondary"
            disabled={disabled}
            onClick={() => onAction(tool.name, { kind: "deny" })}
          >
            Deny
          </Button>
          <Button
            size="sm"
            variant="secondary"
            disabled={disabled}
            onClick={() => onAction(tool.name, { kind: "allow" })}
          >
            Allow
          </Button>
          <Button
            size="sm"
            variant="secondary"
            disabled={disabled}
            onClick={() => onAction(tool.name, { kind: "require_approval" })}
          >
            Require approval
          </Button>
          <select
            aria-label={`Rate limit for ${tool.name}`}
            disabled={disabled}
            value=""
            onChange={(e) =>
              e.target.value &&
              onAction(tool.name, { kind: "rate_limit", limit: e.target.value as RateLimitPreset })
            }
            className="h-8 rounded-md border-0 bg-white pr-7 pl-2 text-xs font-medium text-slate-800 shadow-xs ring-1 ring-slate-300 ring-inset disabled:text-slate-400"
          >
            <option value="">Rate limit…</option>
            {RATE_LIMIT_PRESETS.map((p) => (
              <option key={p} value={p}>
                {p.replace("/", " per ")}
              </option>
            ))}
          </select>
          <Button
            size="sm"
            variant="ghost"
            disabled={disabled}
            className="text-indigo-700"
            onClick={() =>
              onAction(
                tool.name,
                { kind: "recommendation", rule: risk.recommendedRule },
                own?.rules.length ?? 0,
              )
            }
          >
            Apply recommendation
          </Button>
        </div>
      ) : null}
    </li>
  );
}

/**
 * Every tool of the server beside the YAML: its risk, what the draft does with it in words, and
 * quick actions that edit the draft's YAML (comments kept). Nothing is saved until the operator saves.
 */
export function StructuredView({
  server,
  text,
  canEdit,
  onEdit,
}: {
  server: string;
  text: string;
  canEdit: boolean;
  onEdit: (yaml: string) => void;
}) {
  const tools = useQuery(toolListQuery(server));
  const policy = useParsed(text);
  const toast = useToast();
  const [filter, setFilter] = useState("");
  const [confirm, setConfirm] = useState<{
    tool: string;
    action: QuickAction;
    replaces: number;
  } | null>(null);

  const rows = useMemo(
    () => (tools.data ?? []).map((tool) => ({ tool, risk: assess(tool) })),
    [tools.data],
  );
  const shown = rows.filter((r) => r.tool.name.toLowerCase().includes(filter.trim().toLowerCase()));
  const known = new Set(rows.map((r) => r.tool.name));
  const unknown = (policy?.tools ?? []).filter((e) => e.kind === "exact" && !known.has(e.key));

  function run(tool: string, action: QuickAction) {
    try {
      const result = applyQuickAction(text, tool, action);
      if (result.changed) onEdit(result.yaml);
      toast.show(
        [result.changed ? result.summary : `No change: ${result.summary}`, ...result.notes].join(
          ". ",
        ),
        result.notes.length > 0 ? "error" : "info",
      );
    } catch (err) {
      toast.show(err instanceof AppError ? err.message : errorMessage(err), "error");
    }
  }

  function onAction(tool: string, action: QuickAction, replaces = 0) {
    if (action.kind === "recommendation" && replaces > 0) setConfirm({ tool, action, replaces });
    else run(tool, action);
  }

  return (
    <section
      aria-labelledby="structured-heading"
      className="flex min-h-0 flex-col overflow-hidden rounded-lg bg-white ring-1 ring-slate-200"
    >
      <header className="space-y-2 border-b border-slate-100 px-4 py-3">
        <div className="flex items-center justify-between gap-2">
          <h2 id="structured-heading" className="text-sm font-semibold text-slate-900">
            Tools of {server}
            {tools.data ? (
              <span className="ml-1.5 font-normal text-slate-500 tabular-nums">
                ({rows.length})
              </span>
            ) : null}
          </h2>
          {policy === null && text.trim() !== "" ? (
            <Badge tone="amber">Fix the YAML to update</Badge>
          ) : null}
        </div>
        {rows.length > 6 ? (
          <input
            type="search"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="Filter tools"
            aria-label="Filter tools"
            className="block w-full rounded-md border-0 px-3 py-1.5 text-sm shadow-xs ring-1 ring-slate-300 ring-inset placeholder:text-slate-400 focus:ring-2 focus:ring-indigo-600 focus:ring-inset"
          />
        ) : null}
      </header>
      {tools.isPending ? (
        <LoadingBlock label="Loading tools…" />
      ) : tools.isError ? (
        <div className="p-4">
          <ErrorState message={errorMessage(tools.error)} onRetry={() => tools.refetch()} />
        </div>
      ) : rows.length === 0 ? (
        <EmptyState title="No tools recorded yet">
          The gateway records the server&apos;s tools the first time an agent lists them.
        </EmptyState>
      ) : (
        <ul
          className="max-h-[70vh] min-h-0 flex-1 divide-y divide-slate-100 overflow-y-auto"
          aria-label={`What the draft does with each tool of ${server}`}
        >
          {shown.map((row) => (
            <ToolCard
              key={row.tool.id}
              row={row}
              policy={policy}
              canEdit={canEdit}
              onAction={onAction}
            />
          ))}
          {shown.length === 0 ? (
            <li className="px-4 py-6 text-center text-sm text-slate-500">No tool matches.</li>
          ) : null}
        </ul>
      )}
      {unknown.length > 0 ? (
        <p className={cn("border-t border-slate-100 px-4 py-2.5 text-xs text-slate-500")}>
          Listed in the policy but not offered by the server:{" "}
          {unknown.map((e, i) => (
            <span key={e.key}>
              {i > 0 ? ", " : ""}
              <code className="font-mono text-slate-700">{e.key}</code>
            </span>
          ))}
        </p>
      ) : null}
      <ConfirmDialog
        open={confirm !== null}
        title={`Replace the rules of ${confirm?.tool ?? ""}?`}
        confirmLabel="Apply recommendation"
        tone="primary"
        onConfirm={() => {
          if (confirm) run(confirm.tool, confirm.action);
          setConfirm(null);
        }}
        onClose={() => setConfirm(null)}
      >
        {confirm?.action.kind === "recommendation" ? (
          <>
            <p>
              The recommendation replaces the {confirm.replaces} rule
              {confirm.replaces === 1 ? "" : "s"} of{" "}
              <code className="font-mono text-slate-900">{confirm.tool}</code> with:
            </p>
            <pre className="overflow-x-auto rounded-md bg-slate-50 px-3 py-2 font-mono text-xs text-slate-800 ring-1 ring-slate-200">
              {stringify([confirm.action.rule], { lineWidth: 0 }).trim()}
            </pre>
            <p>Only the draft changes; nothing is saved until you save.</p>
          </>
        ) : null}
      </ConfirmDialog>
    </section>
  );
}
