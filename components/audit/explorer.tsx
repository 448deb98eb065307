"use client";

import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useMemo, useRef, useState } from "react";

import type { AuditEventView } from "@/lib/core/audit/views";
import { errorMessage } from "@/lib/client/api";
import { formatDateTime, formatShortDateTime } from "@/lib/client/format";
import { type VerifyProgress, verifyChainWithProgress } from "@/lib/client/verify-stream";
import { useCan } from "@/components/console/session-context";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { IconCheck, IconDownload } from "@/components/ui/icons";
import { EmptyState, ErrorState, LoadingBlock, Spinner } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { Badge } from "@/components/ui/badge";
import { causeLabel, DecisionBadge, OutcomeBadge } from "./decision-badge";
import { canGrant, EventDrawer, policyHref } from "./event-drawer";
import { FiltersBar } from "./filters-bar";
import { GrantDialog } from "./grant-dialog";
import { IntegrityPanel, integrityKey, VerifyResult } from "./integrity-panel";
import { VerifyProgressBar } from "./verify-progress";
import { type AuditFilters, auditListQuery, exportUrl } from "./queries";

const KEYS = ["from", "to", "server", "agent", "tool", "decision", "rule", "q"] as const;
const ROW_HEIGHT = 44;

function filtersFrom(params: URLSearchParams, view: AuditFilters["view"]): AuditFilters {
  const f: AuditFilters = { view: (params.get("view") as AuditFilters["view"]) || view };
  for (const k of KEYS) {
    const v = params.get(k);
    if (v) f[k] = v;
  }
  return f;
}

type Mode = "audit" | "denied";

const COLUMNS: Record<Mode, { label: string; className: string }[]> = {
  audit: [
    { label: "Time", className: "w-32" },
    { label: "Action", className: "w-36" },
    { label: "Actor", className: "w-32" },
    { label: "Server / tool or target", className: "flex-1 min-w-48" },
    { label: "Decision", className: "w-40" },
    { label: "Rule", className: "w-40" },
  ],
  denied: [
    { label: "Time", className: "w-36" },
    { label: "Agent", className: "w-32" },
    { label: "Server", className: "w-24" },
    { label: "Tool", className: "w-48" },
    { label: "Cause", className: "w-32" },
    { label: "Told the agent", className: "flex-1 min-w-48" },
    { label: "", className: "w-32" },
  ],
};

export function AuditExplorer({ mode }: { mode: Mode }) {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const filters = useMemo(
    () => filtersFrom(params, mode === "denied" ? "denied" : "all"),
    [params, mode],
  );
  const effective: AuditFilters = mode === "denied" ? { ...filters, view: "denied" } : filters;
  const q = useInfiniteQuery(auditListQuery(effective));
  const rows = useMemo(() => q.data?.pages.flatMap((p) => p.rows) ?? [], [q.data]);
  const [openId, setOpenId] = useState<string | null>(params.get("event"));
  const [granting, setGranting] = useState<AuditEventView | null>(null);
  const editor = useCan("editor");
  const toast = useToast();
  const queryClient = useQueryClient();
  const scrollRef = useRef<HTMLDivElement>(null);

  // The virtualizer keeps its own state; this component is simply left unmemoized.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? 0;
  useEffect(() => {
    if (lastIndex >= rows.length - 20 && q.hasNextPage && !q.isFetchingNextPage)
      void q.fetchNextPage();
  }, [lastIndex, rows.length, q]);

  function setFilters(next: AuditFilters) {
    const search = new URLSearchParams();
    if (mode === "audit" && next.view && next.view !== "all") search.set("view", next.view);
    for (const k of KEYS) if (next[k]) search.set(k, String(next[k]));
    router.replace(`${pathname}${search.size ? `?${search}` : ""}`, { scroll: false });
  }

  const [verifyProgress, setVerifyProgress] = useState<VerifyProgress | null>(null);
  const verify = useMutation({
    mutationFn: () => {
      setVerifyProgress(null);
      return verifyChainWithProgress(setVerifyProgress);
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: integrityKey }),
    onError: (err) => toast.show(errorMessage(err), "error"),
  });

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-xl font-semibold tracking-tight text-slate-900">
            {mode === "denied" ? "Denied calls" : "Audit log"}
          </h1>
          <p className="mt-1 text-sm text-slate-500">
            {mode === "denied"
              ? "Every refused tool call and message. Grant a call from here, or see the rule that denied it."
              : "Every decision, outcome and console change, in one hash-chained log."}
          </p>
        </div>
        <div className="flex flex-wrap items-center gap-2">
          {mode === "audit" ? (
            <div
              role="group"
              aria-label="Show"
              className="inline-flex rounded-md shadow-xs ring-1 ring-slate-300"
            >
              {(["all", "decisions", "denied"] as const).map((v) => (
                <button
                  key={v}
                  type="button"
                  aria-pressed={(filters.view ?? "all") === v}
                  onClick={() => setFilters({ ...filters, view: v })}
                  className={cn(
                    "px-3 py-1.5 text-sm font-medium first:rounded-l-md last:rounded-r-md focus-visible:outline-2 focus-visible:outline-indigo-600",
                    (filters.view ?? "all") === v
                      ? "bg-slate-900 text-white"
                      : "bg-white text-slate-700 hover:bg-slate-50",
                  )}
                >
                  {v === "all" ? "Everything" : v === "decisions" ? "Tool calls" : "Denied"}
                </button>
              ))}
            </div>
          ) : null}
          <a
            href={exportUrl(effective, "csv")}
            className="inline-flex h-9 items-center gap-1.5 rounded-md bg-white px-3 text-sm font-medium text-slate-800 shadow-xs ring-1 ring-slate-300 ring-inset hover:bg-slate-50"
            download
          >
            <IconDownload className="size-4" /> CSV
          </a>
          <a
            href={exportUrl(effective, "jsonl")}
            className="inline-flex h-9 items-center gap-1.5 rounded-md bg-white px-3 text-sm font-medium text-slate-800 shadow-xs ring-1 ring-slate-300 ring-inset hover:bg-slate-50"
            download
          >
            <IconDownload className="size-4" /> JSONL
          </a>
          {mode === "audit" ? (
            <Button variant="secondary" onClick={() => verify.mutate()} busy={verify.isPending}>
              <IconCheck className="size-4" /> Verify chain
            </Button>
          ) : null}
        </div>
      </div>

      {mode === "audit" ? <IntegrityPanel /> : null}
      {verify.isPending ? <VerifyProgressBar progress={verifyProgress} /> : null}
      {verify.data && !verify.isPending ? <VerifyResult result={verify.data} /> : null}

      <FiltersBar filters={filters} onChange={setFilters} showDecision={mode === "audit"} />

      <div className="overflow-hidden rounded-xl bg-white shadow-xs ring-1 ring-slate-200">
        <div
          role="table"
          aria-label={mode === "denied" ? "Denied calls" : "Audit events"}
          aria-rowcount={rows.length}
          className="text-sm"
        >
          <div role="rowgroup" className="border-b border-slate-200 bg-slate-50">
            <div
              role="row"
              className="flex items-center gap-3 px-4 py-2 text-xs font-medium text-slate-500"
            >
              {COLUMNS[mode].map((c, i) => (
                <div key={i} role="columnheader" className={c.className}>
                  {c.label}
                </div>
              ))}
            </div>
          </div>
          {q.isPending ? (
            <LoadingBlock className="h-96" />
          ) : q.isError ? (
            <div className="p-4">
              <ErrorState message={errorMessage(q.error)} onRetry={() => q.refetch()} />
            </div>
          ) : rows.length === 0 ? (
            <EmptyState
              className="h-80"
              title={mode === "denied" ? "No denied calls match" : "No events match"}
            >
              {Object.keys(filters).length > 1
                ? "Try widening the filters."
                : "Events appear here as agents call tools and people change settings."}
            </EmptyState>
          ) : (
            <div
              ref={scrollRef}
              role="rowgroup"
              className="h-[calc(100dvh-25rem)] min-h-80 overflow-auto"
              data-testid="audit-rows"
            >
              <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
                {items.map((item) => {
                  const r = rows[item.index];
                  if (!r) return null;
                  return (
                    <div
                      key={r.id}
                      role="row"
                      aria-rowindex={item.index + 1}
                      data-event-id={r.id}
                      onClick={() => setOpenId(r.id)}
                      className="absolute inset-x-0 flex cursor-pointer items-center gap-3 border-b border-slate-100 px-4 hover:bg-slate-50"
                      style={{ top: item.start, height: ROW_HEIGHT }}
                    >
                      {mode === "audit" ? (
                        <AuditCells r={r} onOpen={setOpenId} />
                      ) : (
                        <DeniedCells
                          r={r}
                          onOpen={setOpenId}
                          onGrant={editor ? setGranting : null}
                        />
                      )}
                    </div>
                  );
                })}
              </div>
            </div>
          )}
        </div>
        <div className="flex items-center justify-between border-t border-slate-100 px-4 py-2 text-xs text-slate-500">
          <span>
            {rows.length.toLocaleString()} loaded
            {q.hasNextPage ? " · scroll for more" : rows.length ? " · end of results" : ""}
          </span>
          {q.isFetchingNextPage ? <Spinner label="Loading more" /> : null}
        </div>
      </div>
      <EventDrawer eventId={openId} onClose={() => setOpenId(null)} />
      {granting ? <GrantDialog event={granting} onClose={() => setGranting(null)} /> : null}
    </div>
  );
}

function OpenButton({
  r,
  onOpen,
  children,
}: {
  r: AuditEventView;
  onOpen: (id: string) => void;
  children: React.ReactNode;
}) {
  return (
    <button
      type="button"
      onClick={(e) => {
        e.stopPropagation();
        onOpen(r.id);
      }}
      className="truncate text-left font-mono text-xs font-medium text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600"
    >
      {children}
    </button>
  );
}

function AuditCells({ r, onOpen }: { r: AuditEventView; onOpen: (id: string) => void }) {
  return (
    <>
      <div
        role="cell"
        className="w-32 whitespace-nowrap text-slate-500 tabular-nums"
        title={formatDateTime(r.occurredAt)}
      >
        {formatShortDateTime(r.occurredAt)}
      </div>
      <div role="cell" className="w-36 truncate font-mono text-xs text-slate-700" title={r.action}>
        {r.action}
      </div>
      <div role="cell" className="w-32 truncate text-slate-700" title={r.actorLabel ?? undefined}>
        {r.actorLabel ?? r.actorType}
      </div>
      <div role="cell" className="flex min-w-48 flex-1 items-baseline gap-1.5 truncate">
        {r.server ? <span className="shrink-0 text-slate-500">{r.server}</span> : null}
        {r.server ? <span className="text-slate-300">/</span> : null}
        <OpenButton r={r} onOpen={onOpen}>
          {r.tool ?? (r.targetType ? `${r.targetType} ${r.targetId ?? ""}` : r.id)}
        </OpenButton>
      </div>
      <div role="cell" className="w-40 whitespace-nowrap">
        {r.decision ? (
          <DecisionBadge decision={r.decision} cause={r.cause} />
        ) : r.outcome ? (
          <OutcomeBadge outcome={r.outcome} />
        ) : null}
      </div>
      <div role="cell" className="w-40 truncate text-slate-600" title={r.rule ?? undefined}>
        {r.rule ?? ""}
      </div>
    </>
  );
}

function DeniedCells({
  r,
  onOpen,
  onGrant,
}: {
  r: AuditEventView;
  onOpen: (id: string) => void;
  onGrant: ((e: AuditEventView) => void) | null;
}) {
  return (
    <>
      <div
        role="cell"
        className="w-36 whitespace-nowrap text-slate-500 tabular-nums"
        title={formatDateTime(r.occurredAt)}
      >
        {formatShortDateTime(r.occurredAt)}
      </div>
      <div role="cell" className="w-32 truncate text-slate-700">
        {r.actorLabel ?? "anonymous"}
      </div>
      <div role="cell" className="w-24 truncate text-slate-700">
        {r.server ?? "—"}
      </div>
      <div role="cell" className="w-48 truncate">
        <OpenButton r={r} onOpen={onOpen}>
          {r.tool ?? r.action}
        </OpenButton>
      </div>
      <div role="cell" className="w-32 truncate">
        <Badge tone="red">{causeLabel(r.cause) ?? "denied"}</Badge>
      </div>
      <div
        role="cell"
        className="min-w-48 flex-1 truncate text-slate-600"
        title={[r.message ?? r.reason, r.rule ? `rule: ${r.rule}` : null]
          .filter(Boolean)
          .join(" — ")}
      >
        {r.message ?? r.reason}
        {r.rule ? <span className="ml-2 text-xs text-slate-400">rule: {r.rule}</span> : null}
      </div>
      <div
        role="cell"
        className="flex w-32 justify-end gap-1.5"
        onClick={(e) => e.stopPropagation()}
      >
        {r.server && r.action === "tool_call.decide" ? (
          <Link
            href={policyHref(r)}
            className="rounded px-2 py-1 text-xs font-medium text-slate-600 ring-1 ring-slate-300 hover:bg-slate-100"
            aria-label={`Policy for ${r.tool ?? "call"}`}
          >
            Policy
          </Link>
        ) : null}
        {onGrant && canGrant(r) ? (
          <button
            type="button"
            onClick={() => onGrant(r)}
            className="rounded bg-indigo-600 px-2 py-1 text-xs font-medium text-white hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-indigo-600"
            aria-label={`Grant ${r.tool ?? "call"} to ${r.actorLabel ?? "agent"}`}
          >
            Grant…
          </button>
        ) : null}
      </div>
    </>
  );
}
