"use client";

import { useQuery } from "@tanstack/react-query";
import { type FormEvent, useMemo, useState } from "react";

import { ApiError, errorMessage } from "@/lib/client/api";
import { exampleArguments } from "@/lib/core/simulation/example-arguments";
import type { DryRunView } from "@/lib/core/simulation/views";
import { DecisionBadge } from "@/components/audit/decision-badge";
import { agentListQuery } from "@/components/shared/queries";
import { toolListQuery } from "@/components/tools/queries";
import { Button } from "@/components/ui/button";
import { SelectField, TextAreaField } from "@/components/ui/field";
import { ErrorState, LoadingBlock } from "@/components/ui/states";
import { PolicySourceNote } from "./policy-source-note";
import { useDryRun } from "./simulation-queries";

const pretty = (v: unknown) => JSON.stringify(v, null, 2);

function CounterTable({ counters }: { counters: DryRunView["counters"] }) {
  if (counters.length === 0)
    return <p className="text-sm text-slate-500">This call uses no counter: no limit applies.</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full min-w-[32rem] text-left text-sm">
        <thead className="text-xs text-slate-500">
          <tr>
            <th className="py-1.5 pr-3 font-medium">Rule</th>
            <th className="py-1.5 pr-3 font-medium">Window</th>
            <th className="py-1.5 pr-3 text-right font-medium">Used now</th>
            <th className="py-1.5 pr-3 text-right font-medium">Limit</th>
            <th className="py-1.5 text-right font-medium">This call adds</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {counters.map((c) => (
            <tr key={`${c.rule}-${c.describe}`} className={c.refused ? "bg-rose-50" : undefined}>
              <td className="py-1.5 pr-3">
                <span className="font-medium text-slate-800">{c.rule}</span>
                <span className="block text-xs text-slate-500">
                  {c.describe}
                  {c.scope === "shared" ? " · shared by all agents" : " · this agent"}
                </span>
              </td>
              <td className="py-1.5 pr-3 text-slate-700">{c.window}</td>
              <td className="py-1.5 pr-3 text-right tabular-nums">{c.current}</td>
              <td className="py-1.5 pr-3 text-right tabular-nums">{c.limit}</td>
              <td className="py-1.5 text-right tabular-nums">
                {c.refused ? (
                  <span className="font-medium text-rose-700">refused</span>
                ) : (
                  (c.adds ?? "—")
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Result({ run, server }: { run: DryRunView; server: string }) {
  return (
    <section aria-label="Test result" className="space-y-4" data-testid="dry-run-result">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <DecisionBadge decision={run.decision} cause={run.cause} />
        {run.rule ? (
          <span className="text-sm text-slate-700">
            Decided by rule <code className="font-mono text-xs">{run.rule}</code>
          </span>
        ) : null}
        <PolicySourceNote policy={run.policy} />
      </div>
      {run.blockedBefore.map((b) => (
        <p key={b} className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900">
          Before the policy: {b}
        </p>
      ))}
      {run.reason ? <p className="text-sm text-slate-600">Why: {run.reason}</p> : null}
      <div>
        <h3 className="mb-1 text-xs font-semibold tracking-wide text-slate-500 uppercase">
          The agent receives
        </h3>
        {run.reply ? (
          <pre
            className="rounded-lg bg-slate-950 p-3 font-mono text-xs leading-relaxed break-words whitespace-pre-wrap text-slate-100"
            data-testid="dry-run-reply"
          >
            {run.reply.text}
          </pre>
        ) : (
          <p className="rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
            The call would be forwarded to {server}; the agent gets the server&apos;s own answer.
          </p>
        )}
        {run.reply ? (
          <p className="mt-1 text-xs text-slate-500">
            As a tool result with isError: true. The gateway fills in the real decision
            {run.decision === "approval_required" ? " and approval ids" : " id"} (shown as …).
          </p>
        ) : null}
      </div>
      <div>
        <h3 className="mb-1 text-xs font-semibold tracking-wide text-slate-500 uppercase">
          Counters this call uses
        </h3>
        <CounterTable counters={run.counters} />
      </div>
      {run.unknownTool ? (
        <p className="text-sm text-amber-700">
          {server} has not listed this tool yet, so the gateway has no schema to check its arguments
          against.
        </p>
      ) : null}
      <p className="text-xs text-slate-500">
        Nothing was sent to {server}, no counter moved and nothing was recorded.
      </p>
    </section>
  );
}

/** Test a call: what the gateway would do with one agent calling one tool, before it goes live. */
export function TestCallPanel({
  upstreamId,
  server,
  draft,
}: {
  upstreamId: string;
  server: string;
  draft: string | null;
}) {
  const agents = useQuery(agentListQuery());
  const tools = useQuery(toolListQuery(server));
  const dryRun = useDryRun(upstreamId);
  const [agentId, setAgentId] = useState("");
  const [tool, setTool] = useState("");
  /** Null until edited: the example built from the tool's schema. */
  const [args, setArgs] = useState<string | null>(null);
  const [useDraft, setUseDraft] = useState(true);
  const [argsError, setArgsError] = useState<string | null>(null);

  const schemaOf = useMemo(
    () => new Map((tools.data ?? []).map((t) => [t.name, t.definition.inputSchema])),
    [tools.data],
  );
  const agent = agentId || (agents.data?.find((a) => !a.disabled)?.id ?? "");
  const toolName = tool || (tools.data?.[0]?.name ?? "");
  const argsText = args ?? pretty(exampleArguments(schemaOf.get(toolName)));

  function pickTool(name: string) {
    setTool(name);
    setArgs(null);
    setArgsError(null);
    dryRun.reset();
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setArgsError(null);
    try {
      await dryRun.mutateAsync({
        agentId: agent,
        tool: toolName,
        arguments: argsText,
        draft: draft !== null && useDraft ? draft : null,
      });
    } catch (err) {
      if (err instanceof ApiError && err.body.code === "VALIDATION") {
        const fields = err.fieldErrors();
        if (fields.arguments) setArgsError(fields.arguments);
      }
    }
  }

  if (agents.isPending || tools.isPending)
    return <LoadingBlock label="Loading agents and tools…" />;
  if (agents.isError || tools.isError)
    return (
      <ErrorState
        message={errorMessage(agents.error ?? tools.error)}
        onRetry={() => void Promise.all([agents.refetch(), tools.refetch()])}
      />
    );

  return (
    <div className="space-y-5">
      <form onSubmit={submit} className="space-y-3" aria-label="Test a call">
        <div className="grid gap-3 sm:grid-cols-2">
          <SelectField
            label="Agent"
            value={agent}
            onChange={(e) => setAgentId(e.target.value)}
            required
          >
            {agents.data.length === 0 ? <option value="">No agents yet</option> : null}
            {agents.data.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
                {a.disabled ? " (disabled)" : ""}
              </option>
            ))}
          </SelectField>
          <SelectField
            label="Tool"
            value={toolName}
            onChange={(e) => pickTool(e.target.value)}
            required
            hint={tools.data.length === 0 ? `${server} has not listed any tool yet.` : undefined}
          >
            {tools.data.length === 0 ? <option value="">No tools recorded</option> : null}
            {tools.data.map((t) => (
              <option key={t.id} value={t.name}>
                {t.name}
              </option>
            ))}
          </SelectField>
        </div>
        <TextAreaField
          label="Arguments (JSON)"
          value={argsText}
          onChange={(e) => setArgs(e.target.value)}
          spellCheck={false}
          rows={Math.min(12, Math.max(4, argsText.split("\n").length + 1))}
          className="[&_textarea]:font-mono [&_textarea]:text-xs"
          error={argsError ?? undefined}
          hint="Prefilled from the tool's input schema; edit the values to try a case."
        />
        <div className="flex flex-wrap items-center justify-between gap-3">
          {draft !== null ? (
            <fieldset className="flex flex-wrap gap-4 text-sm text-slate-700">
              <legend className="sr-only">Policy to test against</legend>
              <label className="flex items-center gap-1.5">
                <input type="radio" checked={useDraft} onChange={() => setUseDraft(true)} />
                Your unsaved draft
              </label>
              <label className="flex items-center gap-1.5">
                <input type="radio" checked={!useDraft} onChange={() => setUseDraft(false)} />
                The policy in force
              </label>
            </fieldset>
          ) : (
            <span className="text-sm text-slate-500">Against the policy in force.</span>
          )}
          <Button type="submit" busy={dryRun.isPending} disabled={!agent || !toolName}>
            Test call
          </Button>
        </div>
        {dryRun.isError && !argsError ? (
          <p role="alert" className="text-sm text-rose-700">
            {errorMessage(dryRun.error)}
          </p>
        ) : null}
      </form>
      {dryRun.data ? <Result run={dryRun.data} server={server} /> : null}
    </div>
  );
}
