import type { Outcome } from "./policy-example";

const STYLE: Record<Outcome | "runs", { label: string; className: string }> = {
  allow: { label: "Allowed", className: "bg-emerald-50 text-emerald-800 ring-emerald-600/25" },
  deny: { label: "Denied", className: "bg-rose-50 text-rose-800 ring-rose-600/25" },
  hold: { label: "Held", className: "bg-amber-50 text-amber-900 ring-amber-600/30" },
  runs: { label: "Runs", className: "bg-slate-100 text-slate-700 ring-slate-500/20" },
};

export function OutcomeBadge({ outcome }: { outcome: Outcome | "runs" }) {
  const s = STYLE[outcome];
  return (
    <span
      className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-semibold ring-1 ring-inset ${s.className}`}
    >
      <Dot outcome={outcome} />
      {s.label}
    </span>
  );
}

function Dot({ outcome }: { outcome: Outcome | "runs" }) {
  const color = {
    allow: "bg-emerald-500",
    deny: "bg-rose-500",
    hold: "bg-amber-500",
    runs: "bg-slate-400",
  }[outcome];
  return <span aria-hidden="true" className={`h-1.5 w-1.5 rounded-full ${color}`} />;
}
