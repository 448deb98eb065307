"use client";

import { useQuery } from "@tanstack/react-query";
import { type FormEvent, useMemo } from "react";

import { fromLocalInput, toLocalInput } from "@/lib/client/format";
import { useCan } from "@/components/console/session-context";
import { agentListQuery, upstreamListQuery } from "@/components/shared/queries";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import type { AuditFilters } from "./queries";

export function FiltersBar({
  filters,
  onChange,
  showDecision,
}: {
  filters: AuditFilters;
  onChange: (f: AuditFilters) => void;
  showDecision: boolean;
}) {
  const upstreams = useQuery(upstreamListQuery());
  const agents = useQuery(agentListQuery());
  const key = useMemo(() => JSON.stringify(filters), [filters]);
  // Viewers see arguments masked, so their searches do not look inside them either.
  const seesArguments = useCan("editor");

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const text = (k: string) => String(f.get(k) ?? "").trim() || undefined;
    onChange({
      view: filters.view,
      from: fromLocalInput(String(f.get("from") ?? "")),
      to: fromLocalInput(String(f.get("to") ?? "")),
      server: text("server"),
      agent: text("agent"),
      tool: text("tool"),
      decision: showDecision ? text("decision") : undefined,
      rule: text("rule"),
      q: text("q"),
    });
  }

  const active = Object.entries(filters).some(([k, v]) => k !== "view" && v);

  return (
    <form
      key={key}
      onSubmit={submit}
      className="rounded-xl bg-white p-4 shadow-xs ring-1 ring-slate-200"
      aria-label="Filters"
    >
      <div className="grid grid-cols-2 gap-3 lg:grid-cols-12">
        <TextField
          label="Search"
          name="q"
          defaultValue={filters.q}
          placeholder={seesArguments ? "Tool, reason, argument, id…" : "Tool, reason, id…"}
          className="col-span-2 lg:col-span-4"
        />
        <TextField
          label="From"
          name="from"
          type="datetime-local"
          defaultValue={toLocalInput(filters.from)}
          className="lg:col-span-3"
        />
        <TextField
          label="To"
          name="to"
          type="datetime-local"
          defaultValue={toLocalInput(filters.to)}
          className="lg:col-span-3"
        />
        <SelectField
          label="Server"
          name="server"
          defaultValue={filters.server ?? ""}
          className="lg:col-span-2"
        >
          <option value="">All</option>
          {upstreams.data?.map((u) => (
            <option key={u.id}>{u.name}</option>
          ))}
        </SelectField>
        <SelectField
          label="Agent"
          name="agent"
          defaultValue={filters.agent ?? ""}
          className="lg:col-span-3"
        >
          <option value="">All</option>
          {agents.data?.map((a) => (
            <option key={a.id}>{a.name}</option>
          ))}
        </SelectField>
        <TextField
          label="Tool"
          name="tool"
          defaultValue={filters.tool}
          placeholder="Exact name"
          className="lg:col-span-3"
        />
        {showDecision ? (
          <SelectField
            label="Decision"
            name="decision"
            defaultValue={filters.decision ?? ""}
            className="lg:col-span-2"
          >
            <option value="">All</option>
            <option value="allow">Allowed</option>
            <option value="deny">Denied</option>
            <option value="approval_required">Held for approval</option>
          </SelectField>
        ) : null}
        <TextField
          label="Rule"
          name="rule"
          defaultValue={filters.rule}
          placeholder="Rule name"
          className={showDecision ? "lg:col-span-2" : "lg:col-span-4"}
        />
        <div className="col-span-2 flex items-end justify-end gap-2 lg:col-span-2">
          {active ? (
            <Button variant="ghost" onClick={() => onChange({ view: filters.view })}>
              Clear
            </Button>
          ) : null}
          <Button type="submit">Apply</Button>
        </div>
      </div>
    </form>
  );
}
