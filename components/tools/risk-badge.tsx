import type { Tool } from "@/db/schema";
import { Badge, type Tone } from "@/components/ui/badge";

const LEVEL_TONE: Record<Tool["riskLevel"], Tone> = {
  low: "green",
  medium: "blue",
  high: "amber",
  critical: "red",
};
const STATUS: Record<Tool["status"], { tone: Tone; label: string }> = {
  new: { tone: "blue", label: "New" },
  active: { tone: "green", label: "Active" },
  quarantined: { tone: "red", label: "Quarantined" },
};

export function RiskBadge({
  category,
  level,
}: {
  category: Tool["riskCategory"];
  level: Tool["riskLevel"];
}) {
  return (
    <Badge tone={LEVEL_TONE[level]}>
      {category} · {level}
    </Badge>
  );
}

export function LevelBadge({ level, count }: { level: Tool["riskLevel"]; count: number }) {
  return (
    <Badge tone={LEVEL_TONE[level]}>
      <span className="tabular-nums">{count}</span> {level}
    </Badge>
  );
}

export function ToolStatusBadge({ status }: { status: Tool["status"] }) {
  const s = STATUS[status];
  return <Badge tone={s.tone}>{s.label}</Badge>;
}
