"use client";

import { useState } from "react";

import { cn } from "@/components/ui/cn";
import { ReplayPanel } from "./replay-panel";
import { TestCallPanel } from "./test-call-panel";

const TABS = [
  { id: "test", label: "Test a call" },
  { id: "replay", label: "Replay recent calls" },
] as const;

/**
 * Below the policy editor: try the draft (or the policy in force) before saving it — one call
 * at a time, or the server's recent traffic. `draft` is the unsaved YAML, or null.
 */
export function PolicyTryOut({
  upstreamId,
  server,
  draft,
}: {
  upstreamId: string;
  server: string;
  draft: string | null;
}) {
  const [tab, setTab] = useState<(typeof TABS)[number]["id"]>("test");
  return (
    <section
      aria-labelledby="try-out-heading"
      className="rounded-lg bg-white ring-1 ring-slate-200"
      data-testid="policy-try-out"
    >
      <header className="flex flex-wrap items-center justify-between gap-2 border-b border-slate-100 px-4 pt-2.5">
        <h2 id="try-out-heading" className="pb-2.5 text-sm font-semibold text-slate-900">
          Try before saving
        </h2>
        <div role="tablist" aria-label="Try the policy" className="flex gap-1">
          {TABS.map((t) => (
            <button
              key={t.id}
              type="button"
              role="tab"
              id={`try-tab-${t.id}`}
              aria-selected={tab === t.id}
              aria-controls={`try-panel-${t.id}`}
              onClick={() => setTab(t.id)}
              className={cn(
                "-mb-px border-b-2 px-3 pb-2 text-sm font-medium",
                tab === t.id
                  ? "border-indigo-600 text-indigo-700"
                  : "border-transparent text-slate-500 hover:text-slate-800",
              )}
            >
              {t.label}
            </button>
          ))}
        </div>
      </header>
      <div
        role="tabpanel"
        id={`try-panel-${tab}`}
        aria-labelledby={`try-tab-${tab}`}
        className="p-4"
      >
        {tab === "test" ? (
          <TestCallPanel upstreamId={upstreamId} server={server} draft={draft} />
        ) : (
          <ReplayPanel upstreamId={upstreamId} draft={draft} />
        )}
      </div>
    </section>
  );
}
