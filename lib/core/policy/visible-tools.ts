import type { Grant } from "./decision";
import { patternMatches } from "./glob";
import type { PolicySnapshot } from "./snapshot";

/**
 * Filters a `tools/list` result for one agent: hidden tools, tools the agent's grants deny, and
 * (under `default: deny`) tools neither listed in the policy nor granted disappear.
 */
export function visibleTools<T extends { name: string }>(
  snapshot: PolicySnapshot,
  tools: readonly T[],
  grants: readonly Grant[],
  now: number,
): T[] {
  const usable = grants.filter(
    (g) => g.expiresAt === null || g.expiresAt === undefined || g.expiresAt > now,
  );
  return tools.filter((tool) => {
    if (snapshot.hiddenBy(tool.name) !== null) return false;
    const matching = usable.filter((g) => patternMatches(g.toolPattern, tool.name));
    if (matching.some((g) => g.effect !== "allow")) return false;
    if (snapshot.posture === "allow") return true;
    return snapshot.resolve(tool.name).listed || matching.length > 0;
  });
}

/** How the server's audit rows store tool arguments. */
export function auditArgumentsMode(snapshot: PolicySnapshot): "full" | "redacted" | "hash" {
  return snapshot.auditArguments;
}
