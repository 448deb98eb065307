"use client";

import { type FormEvent, useEffect, useRef, useState } from "react";

import { errorMessage } from "@/lib/client/api";
import { formatDateTime } from "@/lib/client/format";
import { REPLAY_DEFAULT, REPLAY_MAX } from "@/lib/core/simulation/inputs";
import type { ReplayReport } from "@/lib/core/simulation/views";
import { DecisionBadge } from "@/components/audit/decision-badge";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { PolicySourceNote } from "./policy-source-note";
import { runReplay } from "./simulation-queries";

type State =
  | { kind: "idle" }
  | { kind: "running"; done: number; total: number }
  | { kind: "done"; report: ReplayReport }
  | { kind: "failed"; message: string };

const n = (v: number) => v.toLocaleString("en-US");

function Stat({ label, value, tone }: { label: string; value: number; tone?: string }) {
  return (
    <div className="rounded-lg bg-slate-50 px-3 py-2">
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className={`text-lg font-semibold tabular-nums ${tone ?? "text-slate-900"}`}>
        {n(value)}
      </dd>
    </div>
  );
}

function Report({ report }: { report: ReplayReport }) {
  return (
    <section aria-label="Replay result" className="space-y-4" data-testid="replay-result">
      <p className="flex flex-wrap items-center gap-2 text-sm text-slate-600">
        <PolicySourceNote policy={report.policy} />
        {report.replayed === 0
          ? `No audited call of ${report.server} yet.`
          : `${n(report.replayed)} calls of ${report.server} from ${formatDateTime(report.from ?? "")} to ${formatDateTime(report.to ?? "")}, in ${n(report.elapsedMs)} ms.`}
      </p>
      <dl className="grid grid-cols-2 gap-2 sm:grid-cols-4">
        <Stat
          label="Would change"
          value={report.changed}
          tone={report.changed ? "text-amber-700" : undefined}
        />
        <Stat label="Unchanged" value={report.unchanged} />
        <Stat label="Could not evaluate" value={report.unevaluated} />
        <Stat label="Not policy decisions" value={report.skipped} />
      </dl>
      {report.transitions.length > 0 ? (
        <div className="overflow-x-auto">
          <table className="w-full min-w-[24rem] text-left text-sm">
            <caption className="mb-1 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase">
              Changes
            </caption>
            <thead className="text-xs text-slate-500">
              <tr>
                <th className="py-1.5 pr-3 font-medium">Before → after</th>
                <th className="py-1.5 pr-3 font-medium">Rule</th>
                <th className="py-1.5 text-right font-medium">Calls</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {report.transitions.map((t) => (
                <tr key={`${t.before}-${t.after}-${t.rule ?? ""}`}>
                  <td className="py-1.5 pr-3">
                    <span className="inline-flex flex-wrap items-center gap-1.5">
                      <DecisionBadge decision={t.before} /> → <DecisionBadge decision={t.after} />
                    </span>
                  </td>
                  <td className="py-1.5 pr-3 font-mono text-xs break-all">{t.rule ?? "—"}</td>
                  <td className="py-1.5 text-right tabular-nums">{n(t.count)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : report.replayed > 0 ? (
        <p className="rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
          No decision changes.
        </p>
      ) : null}
      {report.unevaluatedRules.length > 0 ? (
        <div className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900">
          <p className="font-medium">
            Rules that could not be evaluated: the audit log kept these calls&apos; arguments
            masked, cut or hashed.
          </p>
          <ul className="mt-1 list-disc pl-5">
            {report.unevaluatedRules.map((r) => (
              <li key={r.rule}>
                <code className="font-mono text-xs">{r.rule}</code> — {n(r.count)} call
                {r.count === 1 ? "" : "s"}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {report.changes.length > 0 ? (
        <details className="rounded-lg ring-1 ring-slate-200" open={report.changes.length <= 10}>
          <summary className="cursor-pointer px-3 py-2 text-sm font-medium text-slate-800">
            Calls that would change
            {report.changed > report.changes.length
              ? ` (first ${n(report.changes.length)} of ${n(report.changed)})`
              : ` (${n(report.changes.length)})`}
          </summary>
          <ul className="divide-y divide-slate-100" data-testid="replay-changes">
            {report.changes.map((c) => (
              <li key={c.eventId} className="space-y-1 px-3 py-2 text-sm">
                <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
                  <span className="text-xs text-slate-500 tabular-nums">
                    {formatDateTime(c.occurredAt)}
                  </span>
                  <span className="font-medium break-all text-slate-800">{c.tool}</span>
                  <span className="text-slate-600">{c.agent ?? "unknown agent"}</span>
                  <span className="inline-flex items-center gap-1.5">
                    <DecisionBadge decision={c.before.decision} /> →{" "}
                    <DecisionBadge decision={c.after.decision} cause={c.after.cause} />
                  </span>
                  {(c.after.rule ?? c.before.rule) ? (
                    <code className="font-mono text-xs break-all text-slate-600">
                      {c.after.rule ?? c.before.rule}
                    </code>
                  ) : null}
                </div>
                <pre className="max-h-32 overflow-auto rounded bg-slate-50 px-2 py-1 font-mono text-xs break-all whitespace-pre-wrap text-slate-700">
                  {JSON.stringify(c.arguments)}
                </pre>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  );
}

/** Replay: the server's last N audited calls decided again by the draft, before it goes live. */
export function ReplayPanel({ upstreamId, draft }: { upstreamId: string; draft: string | null }) {
  const [limit, setLimit] = useState(String(REPLAY_DEFAULT));
  const [state, setState] = useState<State>({ kind: "idle" });
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setState({ kind: "running", done: 0, total: 0 });
    try {
      const report = await runReplay(
        upstreamId,
        { draft, limit: Number(limit) },
        (done, total) => setState({ kind: "running", done, total }),
        controller.signal,
      );
      setState({ kind: "done", report });
    } catch (err) {
      if (!controller.signal.aborted) setState({ kind: "failed", message: errorMessage(err) });
    }
  }

  const running = state.kind === "running";
  const pct = running && state.total > 0 ? Math.round((state.done / state.total) * 100) : 0;
  return (
    <div className="space-y-5">
      <form
        onSubmit={submit}
        className="flex flex-wrap items-end gap-3"
        aria-label="Replay recent calls"
      >
        <TextField
          label="Last calls to replay"
          type="number"
          min={1}
          max={REPLAY_MAX}
          step={1}
          value={limit}
          onChange={(e) => setLimit(e.target.value)}
          className="w-44"
          hint={`Up to ${n(REPLAY_MAX)}.`}
        />
        <div className="flex flex-1 flex-wrap items-center justify-end gap-3 pb-5">
          <span className="text-sm text-slate-500">
            {draft !== null ? "Against your unsaved draft." : "Against the policy in force."}
          </span>
          <Button type="submit" busy={running}>
            Replay
          </Button>
        </div>
      </form>
      {running ? (
        <div aria-live="polite" className="space-y-1">
          <div
            role="progressbar"
            aria-label="Replay progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={pct}
            className="h-2 overflow-hidden rounded-full bg-slate-100"
          >
            <div className="h-full bg-indigo-500 transition-all" style={{ width: `${pct}%` }} />
          </div>
          <p className="text-xs text-slate-500 tabular-nums">
            {state.total > 0 ? `${n(state.done)} of ${n(state.total)} calls` : "Starting…"}
          </p>
        </div>
      ) : null}
      {state.kind === "failed" ? (
        <p role="alert" className="text-sm text-rose-700">
          {state.message}
        </p>
      ) : null}
      {state.kind === "done" ? <Report report={state.report} /> : null}
      <p className="text-xs text-slate-500">
        Each call is decided again with its arguments as the audit log kept them and the
        agent&apos;s grants as they stood then. Limits count what the draft itself would have
        admitted, from the first replayed call on. Nothing is written.
      </p>
    </div>
  );
}
