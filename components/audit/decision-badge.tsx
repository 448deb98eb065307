import { Badge, type Tone } from "@/components/ui/badge";

const DECISION: Record<string, { tone: Tone; label: string }> = {
  allow: { tone: "green", label: "Allowed" },
  deny: { tone: "red", label: "Denied" },
  approval_required: { tone: "amber", label: "Held for approval" },
};

const CAUSE_LABEL: Record<string, string> = {
  rule: "rule",
  condition: "condition",
  rate_limit: "rate limit",
  hidden: "hidden tool",
  not_permitted: "not permitted",
  invalid_arguments: "bad arguments",
  grant_deny: "grant",
  quarantined: "quarantined",
  malformed: "malformed",
  unauthenticated: "unauthenticated",
  oversize: "oversize",
  batch: "batch",
  unknown_method: "unknown method",
  transport: "transport rules",
  session_limit: "session limit",
  upstream_unavailable: "upstream unavailable",
  approved: "approved",
  internal: "internal error",
};

export function DecisionBadge({
  decision,
  cause,
}: {
  decision: string | null;
  cause?: string | null;
}) {
  if (!decision) return <span className="text-slate-400">—</span>;
  const d = DECISION[decision] ?? { tone: "slate" as const, label: decision };
  return (
    <span className="inline-flex items-center gap-1.5">
      <Badge tone={d.tone}>{d.label}</Badge>
      {cause && decision === "deny" ? (
        <span className="text-xs text-slate-500">{CAUSE_LABEL[cause] ?? cause}</span>
      ) : null}
    </span>
  );
}

export function OutcomeBadge({ outcome }: { outcome: string | null }) {
  if (!outcome) return <span className="text-slate-400">—</span>;
  const tone: Tone =
    outcome === "success"
      ? "green"
      : outcome === "is_error"
        ? "amber"
        : outcome === "cancelled" || outcome === "input_required"
          ? "slate"
          : "red";
  return <Badge tone={tone}>{outcome.replace(/_/g, " ")}</Badge>;
}

export const causeLabel = (cause: string | null) => (cause ? (CAUSE_LABEL[cause] ?? cause) : null);
