"use client";

import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

import type { AuditStats, Top } from "@/lib/core/audit/views";
import { Card } from "@/components/ui/card";
import { EmptyState, LoadingBlock } from "@/components/ui/states";

const timeLabel = (iso: string) =>
  new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false });
const dayTimeLabel = (iso: string) =>
  new Date(iso).toLocaleString("en-GB", {
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  });

/** The dashboard's stats windows (the server answers up to 7 days). */
export const STATS_WINDOWS = [
  { minutes: 60, label: "1 hour" },
  { minutes: 24 * 60, label: "24 hours" },
  { minutes: 7 * 24 * 60, label: "7 days" },
] as const;

export const windowLabel = (minutes: number) =>
  STATS_WINDOWS.find((w) => w.minutes === minutes)?.label.replace(/^1 /, "") ?? `${minutes} min`;

/** `windowMinutes` is the window chosen; the series may still be the previous window's. */
export function TrafficChart({
  stats,
  windowMinutes,
}: {
  stats: AuditStats | undefined;
  windowMinutes: number;
}) {
  const data = stats?.series ?? [];
  const minutes = stats?.windowMinutes ?? windowMinutes;
  const empty = data.every((b) => b.calls === 0 && b.denied === 0);
  return (
    <Card
      title={`Calls and denials per ${windowMinutes > 360 ? "hour" : "minute"}, last ${windowLabel(windowMinutes)}`}
      bodyClassName="h-60 p-2 pr-4"
    >
      {!stats ? (
        <LoadingBlock className="h-full" label="Loading traffic…" />
      ) : empty ? (
        <EmptyState title="No tool calls in this window">
          Calls made through the gateway appear here as they happen.
        </EmptyState>
      ) : (
        <ResponsiveContainer width="100%" height="100%">
          <AreaChart data={data} margin={{ top: 10, right: 0, left: -10, bottom: 0 }}>
            <defs>
              <linearGradient id="calls" x1="0" y1="0" x2="0" y2="1">
                <stop offset="0%" stopColor="#6366f1" stopOpacity={0.35} />
                <stop offset="100%" stopColor="#6366f1" stopOpacity={0} />
              </linearGradient>
              <linearGradient id="denied" x1="0" y1="0" x2="0" y2="1">
                <stop offset="0%" stopColor="#e11d48" stopOpacity={0.35} />
                <stop offset="100%" stopColor="#e11d48" stopOpacity={0} />
              </linearGradient>
            </defs>
            <CartesianGrid stroke="#e2e8f0" strokeDasharray="3 3" vertical={false} />
            <XAxis
              dataKey="t"
              tickFormatter={minutes > 1440 ? dayTimeLabel : timeLabel}
              tick={{ fontSize: 11, fill: "#64748b" }}
              minTickGap={40}
              axisLine={false}
              tickLine={false}
            />
            <YAxis
              allowDecimals={false}
              tick={{ fontSize: 11, fill: "#64748b" }}
              axisLine={false}
              tickLine={false}
              width={40}
            />
            <Tooltip
              labelFormatter={(v) => timeLabel(String(v))}
              contentStyle={{ fontSize: 12, borderRadius: 8 }}
            />
            <Area
              type="monotone"
              dataKey="calls"
              name="Calls"
              stroke="#6366f1"
              strokeWidth={2}
              fill="url(#calls)"
              isAnimationActive={false}
            />
            <Area
              type="monotone"
              dataKey="denied"
              name="Denied"
              stroke="#e11d48"
              strokeWidth={2}
              fill="url(#denied)"
              isAnimationActive={false}
            />
          </AreaChart>
        </ResponsiveContainer>
      )}
    </Card>
  );
}

export function TopList({
  title,
  rows,
  empty,
}: {
  title: string;
  rows: Top[] | undefined;
  empty: string;
}) {
  const data = rows ?? [];
  return (
    <Card title={title} bodyClassName="h-44 p-2 pr-4">
      {data.length === 0 ? (
        <EmptyState title={empty} />
      ) : (
        <ResponsiveContainer width="100%" height="100%">
          <BarChart
            data={data}
            layout="vertical"
            margin={{ top: 4, right: 28, left: 0, bottom: 4 }}
          >
            <XAxis type="number" allowDecimals={false} domain={[0, "dataMax"]} hide />
            <YAxis
              type="category"
              dataKey="name"
              width={170}
              tick={{ fontSize: 11, fill: "#334155" }}
              tickFormatter={(v: string) => (v.length > 26 ? `${v.slice(0, 25)}…` : v)}
              axisLine={false}
              tickLine={false}
            />
            <Tooltip
              contentStyle={{ fontSize: 12, borderRadius: 8 }}
              cursor={{ fill: "#f1f5f9" }}
            />
            <Bar
              dataKey="count"
              name="Denied"
              fill="#f43f5e"
              radius={[0, 4, 4, 0]}
              barSize={14}
              isAnimationActive={false}
              label={{ position: "right", fontSize: 11, fill: "#64748b" }}
            />
          </BarChart>
        </ResponsiveContainer>
      )}
    </Card>
  );
}
