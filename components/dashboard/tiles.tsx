import type { ReactNode } from "react";

import type { AuditStats } from "@/lib/core/audit/views";
import { formatMs, formatPercent } from "@/lib/client/format";
import { cn } from "@/components/ui/cn";
import { windowLabel } from "./charts";

function Tile({
  label,
  value,
  sub,
  tone,
}: {
  label: string;
  value: ReactNode;
  sub?: ReactNode;
  tone?: "warn" | "bad";
}) {
  return (
    <div className="rounded-xl bg-white px-4 py-3.5 shadow-xs ring-1 ring-slate-200">
      <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">{label}</dt>
      <dd
        className={cn(
          "mt-1 text-2xl font-semibold tabular-nums",
          tone === "bad" ? "text-rose-600" : tone === "warn" ? "text-amber-600" : "text-slate-900",
        )}
      >
        {value}
      </dd>
      {sub ? <dd className="mt-0.5 text-xs text-slate-500">{sub}</dd> : null}
    </div>
  );
}

export function StatTiles({ stats }: { stats: AuditStats | undefined }) {
  const s = stats;
  return (
    <dl
      className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6"
      aria-label="Traffic summary"
    >
      <Tile
        label="Calls / min"
        value={s ? s.callsLastMinute : "—"}
        sub={s ? `${s.calls.toLocaleString()} in the last ${windowLabel(s.windowMinutes)}` : " "}
      />
      <Tile
        label="Deny rate"
        value={s ? formatPercent(s.denyRate) : "—"}
        sub={s ? `${s.denied} denied` : " "}
        tone={s && s.denyRate > 0.25 ? "warn" : undefined}
      />
      <Tile
        label="Pending approvals"
        value={s ? s.pendingApprovals : "—"}
        sub="waiting for a human"
        tone={s && s.pendingApprovals > 0 ? "warn" : undefined}
      />
      <Tile
        label="Upstream errors"
        value={s ? s.upstreamErrors : "—"}
        sub="timeouts and failures"
        tone={s && s.upstreamErrors > 0 ? "bad" : undefined}
      />
      <Tile
        label="Latency p50"
        value={s ? formatMs(s.latencyP50Ms) : "—"}
        sub="upstream round trip"
      />
      <Tile
        label="Latency p95"
        value={s ? formatMs(s.latencyP95Ms) : "—"}
        sub="upstream round trip"
      />
    </dl>
  );
}
