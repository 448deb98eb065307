import type { Db, Tx } from "@/db/client";
import type { Tool, Upstream } from "@/db/schema";
import { invalid } from "@/lib/core/errors";
import {
  IMPLICIT_DENY,
  loadPolicy,
  type PolicySnapshot,
  type ToolDefinition,
} from "@/lib/core/policy";
import { loadActivePolicyVersion, loadUpstreamTools } from "../gateway/loaders";
import { getUpstreamOrThrow } from "../upstreams/internal";

/** The policy a simulation runs against: the version in force, or an unsaved draft. */
export type SimulatedPolicy = {
  snapshot: PolicySnapshot;
  /** `draft`, a policy version id, or `implicit-deny` (no policy: every ungranted call is refused). */
  label: string;
  version: number | null;
};

export type SimulationBase = {
  upstream: Upstream;
  policy: SimulatedPolicy;
  tools: ReadonlyMap<string, Tool>;
};

/**
 * The upstream, the policy (the draft's YAML when given, else the active version, the same
 * fallback the gateway uses when there is none) and the tool inventory. A draft that does not
 * load is a VALIDATION error listing its problems.
 */
export function simulationBase(
  db: Db | Tx,
  upstreamId: string,
  draftYaml: string | null | undefined,
): SimulationBase {
  const upstream = getUpstreamOrThrow(db, upstreamId);
  const tools = new Map(loadUpstreamTools(db, upstream.id).map((t) => [t.name, t]));
  if (typeof draftYaml === "string") {
    const loaded = loadPolicy(draftYaml);
    if (!loaded.ok)
      throw invalid("The draft policy has problems; fix them before testing it", {
        errors: loaded.errors,
      });
    return {
      upstream,
      tools,
      policy: { snapshot: loaded.snapshot, label: "draft", version: null },
    };
  }
  const active = loadActivePolicyVersion(db, upstream.id);
  const loaded = active ? loadPolicy(active.yaml) : null;
  if (active && loaded?.ok)
    return {
      upstream,
      tools,
      policy: { snapshot: loaded.snapshot, label: active.id, version: active.version },
    };
  return {
    upstream,
    tools,
    policy: { snapshot: IMPLICIT_DENY, label: "implicit-deny", version: null },
  };
}

/** The definition the gateway validates against: the approved one from the inventory. */
export function toolDefinitionOf(tools: ReadonlyMap<string, Tool>, name: string): ToolDefinition {
  const row = tools.get(name);
  return row ? { inputSchema: row.definition.inputSchema, hash: row.approvedHash } : undefined;
}
