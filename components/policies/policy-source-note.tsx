import { Badge } from "@/components/ui/badge";

/** Which policy a test or a replay ran against. */
export function PolicySourceNote({
  policy,
}: {
  policy: { label: string; version: number | null; draft: boolean };
}) {
  if (policy.draft) return <Badge tone="amber">Unsaved draft</Badge>;
  if (policy.version !== null) return <Badge tone="slate">Version v{policy.version}</Badge>;
  return <Badge tone="slate">No policy (deny all)</Badge>;
}
