"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import type { AuditEventView } from "@/lib/core/audit/views";
import { apiFetch, apiUrl, errorMessage } from "@/lib/client/api";
import { useAuditStream } from "@/lib/client/use-audit-stream";
import type { AuditPage } from "@/lib/core/audit/views";
import { EventDrawer } from "@/components/audit/event-drawer";
import { auditKeys, auditStatsQuery } from "@/components/audit/queries";
import { agentListQuery, upstreamListQuery } from "@/components/shared/queries";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { SelectField } from "@/components/ui/field";
import { IconPause, IconPlay } from "@/components/ui/icons";
import { ErrorState, LoadingBlock } from "@/components/ui/states";
import { STATS_WINDOWS, TopList, TrafficChart, windowLabel } from "./charts";
import { type FeedRow, LiveFeed } from "./live-feed";
import { StatTiles } from "./tiles";
import { StreamIndicator } from "./stream-indicator";

const MAX_ROWS = 100;
const DECISION_ACTIONS = new Set(["tool_call.decide", "message.refuse"]);

type Filters = { server: string; agent: string; decision: string };

function matches(r: AuditEventView, f: Filters): boolean {
  return (
    (!f.server || r.server === f.server) &&
    (!f.agent || r.actorLabel === f.agent) &&
    (!f.decision || r.decision === f.decision)
  );
}

export function Dashboard() {
  const [filters, setFilters] = useState<Filters>({ server: "", agent: "", decision: "" });
  const [windowMinutes, setWindowMinutes] = useState<number>(60);
  const [paused, setPaused] = useState(false);
  const [openId, setOpenId] = useState<string | null>(null);
  const [rows, setRows] = useState<FeedRow[]>([]);
  const qc = useQueryClient();
  const upstreams = useQuery(upstreamListQuery());
  const agents = useQuery(agentListQuery());
  const statsFilter = {
    server: filters.server || undefined,
    agent: filters.agent || undefined,
    minutes: windowMinutes,
  };
  const stats = useQuery(auditStatsQuery(statsFilter));

  const initial = useQuery({
    queryKey: [...auditKeys.lists(), "dashboard", filters],
    queryFn: () =>
      apiFetch<AuditPage>(
        apiUrl("/audit", {
          view: "decisions",
          limit: 50,
          withOutcomes: 1,
          server: filters.server,
          agent: filters.agent,
          decision: filters.decision,
        }),
      ),
    staleTime: Infinity,
  });
  const [loadedPage, setLoadedPage] = useState<AuditPage | undefined>(undefined);
  if (initial.data && initial.data !== loadedPage) {
    setLoadedPage(initial.data);
    const outcomes = initial.data.outcomes ?? {};
    setRows(
      initial.data.rows.map((r) => (outcomes[r.id] ? { ...r, outcomeRow: outcomes[r.id] } : r)),
    );
  }

  const filtersRef = useRef(filters);
  useEffect(() => {
    filtersRef.current = filters;
  }, [filters]);
  const lastStatsRefresh = useRef(0);

  const onEvents = useCallback(
    (batch: AuditEventView[]) => {
      const f = filtersRef.current;
      setRows((current) => {
        let next = current;
        const fresh = batch
          .filter((r) => DECISION_ACTIONS.has(r.action) && matches(r, f))
          .reverse();
        if (fresh.length)
          next = [...fresh, ...next.filter((r) => !fresh.some((x) => x.id === r.id))].slice(
            0,
            MAX_ROWS,
          );
        const outcomes = batch.filter((r) => r.action === "tool_call.outcome" && r.correlationId);
        if (outcomes.length) {
          const byDecision = new Map(outcomes.map((o) => [o.correlationId, o]));
          next = next.map((r) =>
            byDecision.has(r.id) ? { ...r, outcomeRow: byDecision.get(r.id) } : r,
          );
        }
        return next;
      });
      const now = Date.now();
      if (now - lastStatsRefresh.current > 5000) {
        lastStatsRefresh.current = now;
        void qc.invalidateQueries({ queryKey: auditKeys.stats(statsFilter) });
      }
    },
    // statsFilter is derived from filters, read through the query key at call time
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [qc, filters.server, filters.agent, windowMinutes],
  );

  const status = useAuditStream(onEvents, {
    paused,
    after: initial.data ? initial.data.headSeq : null,
  });

  const serverOptions = useMemo(() => upstreams.data?.map((u) => u.name) ?? [], [upstreams.data]);
  const agentOptions = useMemo(() => agents.data?.map((a) => a.name) ?? [], [agents.data]);

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-xl font-semibold tracking-tight text-slate-900">Dashboard</h1>
          <p className="mt-1 text-sm text-slate-500">
            Every tool call through the gateway, as it is decided.
          </p>
        </div>
        <div className="flex flex-wrap items-end gap-3">
          <SelectField
            label="Server"
            value={filters.server}
            onChange={(e) => setFilters({ ...filters, server: e.target.value })}
            className="w-40"
          >
            <option value="">All servers</option>
            {serverOptions.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </SelectField>
          <SelectField
            label="Agent"
            value={filters.agent}
            onChange={(e) => setFilters({ ...filters, agent: e.target.value })}
            className="w-40"
          >
            <option value="">All agents</option>
            {agentOptions.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </SelectField>
          <SelectField
            label="Window"
            value={String(windowMinutes)}
            onChange={(e) => setWindowMinutes(Number(e.target.value))}
            className="w-32"
          >
            {STATS_WINDOWS.map((w) => (
              <option key={w.minutes} value={w.minutes}>
                {w.label}
              </option>
            ))}
          </SelectField>
          <SelectField
            label="Decision"
            value={filters.decision}
            onChange={(e) => setFilters({ ...filters, decision: e.target.value })}
            className="w-44"
          >
            <option value="">All decisions</option>
            <option value="allow">Allowed</option>
            <option value="deny">Denied</option>
            <option value="approval_required">Held for approval</option>
          </SelectField>
        </div>
      </div>

      {stats.isError ? (
        <ErrorState message={errorMessage(stats.error)} onRetry={() => stats.refetch()} />
      ) : (
        <StatTiles stats={stats.data} />
      )}

      <TrafficChart stats={stats.data} windowMinutes={windowMinutes} />
      <div className="grid gap-4 lg:grid-cols-3">
        <TopList
          title="Top denied tools"
          rows={stats.data?.topDeniedTools}
          empty={`No denials in the last ${windowLabel(windowMinutes)}`}
        />
        <TopList
          title="Top denying rules"
          rows={stats.data?.topDeniedRules}
          empty="No rule denied anything"
        />
        <TopList
          title="Most denied agents"
          rows={stats.data?.topDeniedAgents}
          empty="No agent was denied"
        />
      </div>

      <Card
        title={
          <span className="flex items-center gap-3">
            Live decisions <StreamIndicator status={status} />
          </span>
        }
        actions={
          <Button
            variant="secondary"
            size="sm"
            onClick={() => setPaused((p) => !p)}
            aria-pressed={paused}
          >
            {paused ? <IconPlay className="size-4" /> : <IconPause className="size-4" />}
            {paused ? "Resume" : "Pause"}
          </Button>
        }
        bodyClassName="px-0 pb-3 pt-1"
      >
        {initial.isPending ? (
          <LoadingBlock />
        ) : initial.isError ? (
          <div className="px-4">
            <ErrorState message={errorMessage(initial.error)} onRetry={() => initial.refetch()} />
          </div>
        ) : (
          <LiveFeed rows={rows} onOpen={setOpenId} />
        )}
      </Card>
      <EventDrawer eventId={openId} onClose={() => setOpenId(null)} />
    </div>
  );
}
