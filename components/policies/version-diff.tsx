"use client";

import { useQuery } from "@tanstack/react-query";
import { diffLines } from "diff";
import { useEffect, useId, useMemo, useRef, useState } from "react";

import { errorMessage } from "@/lib/client/api";
import { formatDateTime } from "@/lib/client/format";
import type { PolicyVersionView } from "@/lib/core/policies/views";
import { policyVersionQuery, policyVersionsQuery } from "@/components/policy-editor/queries";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { Dialog } from "@/components/ui/dialog";
import { ErrorState, LoadingBlock } from "@/components/ui/states";

type Kind = "same" | "add" | "del";
type Row = { kind: Kind; text: string; oldNo: number | null; newNo: number | null };
/** A run of rows shown as they are, or a run of unchanged rows folded away until expanded. */
type Segment =
  { kind: "rows"; rows: Row[]; start: number } | { kind: "fold"; rows: Row[]; start: number };

const CONTEXT = 3;

function toRows(before: string, after: string): Row[] {
  const rows: Row[] = [];
  let oldNo = 1;
  let newNo = 1;
  for (const part of diffLines(before, after)) {
    for (const text of part.value.replace(/\n$/, "").split("\n")) {
      if (part.added) rows.push({ kind: "add", text, oldNo: null, newNo: newNo++ });
      else if (part.removed) rows.push({ kind: "del", text, oldNo: oldNo++, newNo: null });
      else rows.push({ kind: "same", text, oldNo: oldNo++, newNo: newNo++ });
    }
  }
  return rows;
}

/** Unchanged runs longer than the context around the changes are folded. */
function toSegments(rows: Row[]): Segment[] {
  const near = rows.map(() => false);
  rows.forEach((r, i) => {
    if (r.kind === "same") return;
    for (let j = Math.max(0, i - CONTEXT); j <= Math.min(rows.length - 1, i + CONTEXT); j += 1)
      near[j] = true;
  });
  const segments: Segment[] = [];
  rows.forEach((row, i) => {
    const kind = near[i] ? "rows" : "fold";
    const last = segments.at(-1);
    if (last?.kind === kind) last.rows.push(row);
    else segments.push({ kind, rows: [row], start: i });
  });
  return segments;
}

function DiffRow({ row, index, first }: { row: Row; index: number; first: boolean }) {
  return (
    <div
      data-diff={row.kind}
      data-change-index={row.kind === "same" ? undefined : index}
      data-first-change={first || undefined}
      tabIndex={first ? -1 : undefined}
      className={cn(
        "flex pr-4 focus:outline-2 focus:-outline-offset-2 focus:outline-indigo-500",
        row.kind === "add" && "bg-emerald-50 text-emerald-900",
        row.kind === "del" && "bg-rose-50 text-rose-900",
        row.kind === "same" && "text-slate-700",
      )}
    >
      <span className="w-10 shrink-0 pr-2 text-right text-slate-400 select-none" aria-hidden>
        {row.oldNo ?? ""}
      </span>
      <span className="w-10 shrink-0 pr-2 text-right text-slate-400 select-none" aria-hidden>
        {row.newNo ?? ""}
      </span>
      <span className="w-5 shrink-0 text-center select-none" aria-hidden>
        {row.kind === "add" ? "+" : row.kind === "del" ? "−" : ""}
      </span>
      <code>
        <span className="sr-only">
          {row.kind === "add" ? "added: " : row.kind === "del" ? "removed: " : ""}
        </span>
        {row.text || " "}
      </code>
    </div>
  );
}

/**
 * A unified line diff (text only, never HTML) that opens at the first change: long unchanged
 * runs are folded, the first changed line is scrolled into view and focused, and the buttons
 * step from change to change.
 */
export function FoldedDiff({
  before,
  after,
  label,
}: {
  before: string;
  after: string;
  label: string;
}) {
  const rows = useMemo(() => toRows(before, after), [before, after]);
  const segments = useMemo(() => toSegments(rows), [rows]);
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const [current, setCurrent] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  const firstChange = rows.findIndex((r) => r.kind !== "same");
  // The first row of every block of changes, for stepping through them.
  const changeStarts = rows.flatMap((r, i) =>
    r.kind !== "same" && (i === 0 || rows[i - 1]?.kind === "same") ? [i] : [],
  );
  const added = rows.filter((r) => r.kind === "add").length;
  const removed = rows.filter((r) => r.kind === "del").length;

  useEffect(() => {
    const first = box.current?.querySelector<HTMLElement>("[data-first-change]");
    first?.focus({ preventScroll: true });
    first?.scrollIntoView({ block: "center" });
  }, [rows]);

  function go(step: number) {
    const next = Math.min(Math.max(current + step, 0), changeStarts.length - 1);
    setCurrent(next);
    box.current
      ?.querySelector<HTMLElement>(`[data-change-index="${changeStarts[next]}"]`)
      ?.scrollIntoView({ block: "center", behavior: "smooth" });
  }

  return (
    <figure className="overflow-hidden rounded-lg ring-1 ring-slate-200">
      <figcaption className="flex flex-wrap items-center justify-between gap-2 border-b border-slate-200 bg-slate-50 px-3 py-2 text-xs text-slate-600">
        <span className="tabular-nums" aria-live="polite">
          {added === 0 && removed === 0
            ? "No differences"
            : `${changeStarts.length} change${changeStarts.length === 1 ? "" : "s"}: ${added} line${added === 1 ? "" : "s"} added, ${removed} removed`}
        </span>
        {changeStarts.length > 1 ? (
          <span className="flex items-center gap-1">
            <span className="mr-1 tabular-nums">
              {current + 1} of {changeStarts.length}
            </span>
            <Button size="sm" variant="secondary" onClick={() => go(-1)} disabled={current === 0}>
              Previous change
            </Button>
            <Button
              size="sm"
              variant="secondary"
              onClick={() => go(1)}
              disabled={current === changeStarts.length - 1}
            >
              Next change
            </Button>
          </span>
        ) : null}
      </figcaption>
      <div ref={box} className="max-h-[60vh] overflow-auto bg-white">
        <pre className="min-w-max font-mono text-[12.5px] leading-5" aria-label={label}>
          {segments.map((s) =>
            s.kind === "fold" && !open.has(s.start) ? (
              <button
                key={s.start}
                type="button"
                onClick={() => setOpen((o) => new Set(o).add(s.start))}
                className="block w-full bg-slate-50 px-3 py-1 text-left font-sans text-xs text-indigo-700 hover:bg-indigo-50 focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-indigo-500"
              >
                ⋯ Show {s.rows.length} unchanged line{s.rows.length === 1 ? "" : "s"}
              </button>
            ) : (
              s.rows.map((row, i) => (
                <DiffRow
                  key={s.start + i}
                  row={row}
                  index={s.start + i}
                  first={s.start + i === firstChange}
                />
              ))
            ),
          )}
        </pre>
      </div>
    </figure>
  );
}

export const DRAFT = "draft";

const labelOf = (v: PolicyVersionView | undefined) =>
  !v ? "your draft" : v.active ? "the active version" : `version ${v.version}`;

function VersionSelect({
  label,
  value,
  versions,
  draft,
  onChange,
}: {
  label: string;
  value: string;
  versions: PolicyVersionView[];
  draft: boolean;
  onChange: (id: string) => void;
}) {
  const id = useId();
  return (
    <div className="min-w-0 flex-1 space-y-1">
      <label htmlFor={id} className="block text-xs font-medium text-slate-600">
        {label}
      </label>
      <select
        id={id}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        className="block w-full rounded-md border-0 py-1.5 pr-8 pl-2.5 text-sm text-slate-900 shadow-xs ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-600"
      >
        {draft ? <option value={DRAFT}>Your draft (unsaved)</option> : null}
        {versions.map((v) => (
          <option key={v.id} value={v.id}>
            Version {v.version}
            {v.active ? " (active)" : ""} · {formatDateTime(v.createdAt)}
          </option>
        ))}
      </select>
    </div>
  );
}

function useYaml(id: string, draft: string | null) {
  const q = useQuery({ ...policyVersionQuery(id), enabled: id !== DRAFT });
  if (id === DRAFT) return { yaml: draft ?? "", pending: false, error: null, retry: () => {} };
  return {
    yaml: q.data?.yaml,
    pending: q.isPending,
    error: q.error,
    retry: () => void q.refetch(),
  };
}

/**
 * Compares any two saved versions of a server's policy (or a version and the unsaved draft),
 * in a drawer. Reading and diffing need only the viewer role.
 */
export function VersionDiffDialog({
  upstreamId,
  from: initialFrom,
  to: initialTo,
  draft,
  onClose,
}: {
  upstreamId: string;
  from: string;
  to: string;
  /** The unsaved draft, offered as a side when there is one. */
  draft: string | null;
  onClose: () => void;
}) {
  const versions = useQuery(policyVersionsQuery(upstreamId));
  const [from, setFrom] = useState(initialFrom);
  const [to, setTo] = useState(initialTo);
  const a = useYaml(from, draft);
  const b = useYaml(to, draft);
  const list = versions.data ?? [];
  const fromLabel = labelOf(list.find((v) => v.id === from));
  const toLabel = labelOf(list.find((v) => v.id === to));

  return (
    <Dialog
      open
      onClose={onClose}
      variant="drawer"
      title="Compare versions"
      description="Pick any two versions; the diff opens at the first change."
    >
      <div className="space-y-4">
        {versions.isError ? (
          <ErrorState message={errorMessage(versions.error)} onRetry={() => versions.refetch()} />
        ) : (
          <div className="flex flex-col gap-3 sm:flex-row sm:items-end">
            <VersionSelect
              label="From"
              value={from}
              versions={list}
              draft={draft !== null}
              onChange={setFrom}
            />
            <Button
              variant="secondary"
              onClick={() => {
                setFrom(to);
                setTo(from);
              }}
              aria-label="Swap the two sides"
              title="Swap the two sides"
              className="self-start sm:self-auto"
            >
              ⇄
            </Button>
            <VersionSelect
              label="To"
              value={to}
              versions={list}
              draft={draft !== null}
              onChange={setTo}
            />
          </div>
        )}
        {a.pending || b.pending || versions.isPending ? (
          <LoadingBlock label="Loading versions…" />
        ) : a.error || b.error ? (
          <ErrorState
            message={errorMessage(a.error ?? b.error)}
            onRetry={() => {
              a.retry();
              b.retry();
            }}
          />
        ) : (
          <FoldedDiff
            key={`${from}:${to}`}
            before={a.yaml ?? ""}
            after={b.yaml ?? ""}
            label={`Changes from ${fromLabel} to ${toLabel}`}
          />
        )}
      </div>
    </Dialog>
  );
}
