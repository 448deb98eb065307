"use client";

import type { VerifyProgress } from "@/lib/client/verify-stream";

/** How far a running chain verification has got, as a bar and a count of rows. */
export function VerifyProgressBar({ progress }: { progress: VerifyProgress | null }) {
  const total = progress?.total ?? 0;
  const done = progress?.done ?? 0;
  const share = total > 0 ? Math.min(1, done / total) : 0;
  return (
    <div
      role="progressbar"
      aria-label="Verifying the audit chain"
      aria-valuemin={0}
      aria-valuemax={total}
      aria-valuenow={done}
      className="rounded-lg bg-white px-4 py-3 text-sm text-slate-700 ring-1 ring-slate-200"
    >
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <span className="font-medium text-slate-900">Verifying the hash chain…</span>
        <span className="text-slate-500 tabular-nums">
          {progress
            ? `${done.toLocaleString()} of ${total.toLocaleString()} rows (${Math.floor(share * 100)} %)`
            : "starting"}
        </span>
      </div>
      <div className="mt-2 h-1.5 overflow-hidden rounded-full bg-slate-100">
        <div
          className="h-full rounded-full bg-indigo-600 transition-[width] duration-150"
          style={{ width: `${(share * 100).toFixed(1)}%` }}
        />
      </div>
    </div>
  );
}
