"use client";

import { diffLines } from "diff";
import { useMemo } from "react";

import { cn } from "@/components/ui/cn";

type Row = {
  kind: "same" | "add" | "del";
  text: string;
  oldNo: number | null;
  newNo: number | null;
};

function toRows(before: string, after: string): Row[] {
  const rows: Row[] = [];
  let oldNo = 1;
  let newNo = 1;
  for (const part of diffLines(before, after)) {
    const lines = part.value.replace(/\n$/, "").split("\n");
    for (const text of lines) {
      if (part.added) rows.push({ kind: "add", text, oldNo: null, newNo: newNo++ });
      else if (part.removed) rows.push({ kind: "del", text, oldNo: oldNo++, newNo: null });
      else rows.push({ kind: "same", text, oldNo: oldNo++, newNo: newNo++ });
    }
  }
  return rows;
}

/** Pretty JSON with keys sorted at every level, so a diff shows content changes only. */
export function stableJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v as Record<string, unknown>)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}

/** A unified line diff rendered as text (never HTML), with old and new line numbers. */
export function LineDiff({
  before,
  after,
  beforeLabel,
  afterLabel,
  label,
}: {
  before: string;
  after: string;
  beforeLabel: string;
  afterLabel: string;
  label: string;
}) {
  const rows = useMemo(() => toRows(before, after), [before, after]);
  const added = rows.filter((r) => r.kind === "add").length;
  const removed = rows.filter((r) => r.kind === "del").length;
  return (
    <figure className="overflow-hidden rounded-lg ring-1 ring-slate-200">
      <figcaption className="flex flex-wrap items-center justify-between gap-2 border-b border-slate-200 bg-slate-50 px-3 py-2 text-xs text-slate-600">
        <span>
          <span className="font-medium text-rose-700">− {beforeLabel}</span>
          <span className="mx-2 text-slate-300">|</span>
          <span className="font-medium text-emerald-700">+ {afterLabel}</span>
        </span>
        <span className="tabular-nums">
          {added === 0 && removed === 0 ? "No differences" : `${added} added, ${removed} removed`}
        </span>
      </figcaption>
      <div className="max-h-[32rem] overflow-auto bg-white">
        <pre className="min-w-max font-mono text-[12.5px] leading-5" aria-label={label}>
          {rows.map((r, i) => (
            <div
              key={i}
              data-diff={r.kind}
              className={cn(
                "flex pr-4",
                r.kind === "add" && "bg-emerald-50 text-emerald-900",
                r.kind === "del" && "bg-rose-50 text-rose-900",
                r.kind === "same" && "text-slate-700",
              )}
            >
              <span
                className="w-10 shrink-0 pr-2 text-right text-slate-400 select-none"
                aria-hidden
              >
                {r.oldNo ?? ""}
              </span>
              <span
                className="w-10 shrink-0 pr-2 text-right text-slate-400 select-none"
                aria-hidden
              >
                {r.newNo ?? ""}
              </span>
              <span className="w-5 shrink-0 text-center select-none" aria-hidden>
                {r.kind === "add" ? "+" : r.kind === "del" ? "−" : ""}
              </span>
              <code>
                <span className="sr-only">
                  {r.kind === "add" ? "added: " : r.kind === "del" ? "removed: " : ""}
                </span>
                {r.text || " "}
              </code>
            </div>
          ))}
        </pre>
      </div>
    </figure>
  );
}
