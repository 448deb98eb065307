import type { StreamStatus } from "@/lib/client/use-audit-stream";
import { cn } from "@/components/ui/cn";

const LABEL: Record<StreamStatus, string> = {
  connecting: "Connecting",
  live: "Live",
  paused: "Paused",
  reconnecting: "Reconnecting",
};

export function StreamIndicator({ status }: { status: StreamStatus }) {
  return (
    <span
      className="inline-flex items-center gap-1.5 text-xs font-medium text-slate-500"
      role="status"
      aria-label={`Stream ${LABEL[status].toLowerCase()}`}
    >
      <span
        className={cn(
          "size-2 rounded-full",
          status === "live" && "animate-pulse bg-emerald-500",
          status === "paused" && "bg-slate-400",
          (status === "connecting" || status === "reconnecting") && "bg-amber-400",
        )}
        aria-hidden
      />
      {LABEL[status]}
    </span>
  );
}
