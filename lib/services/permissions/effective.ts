import { z } from "zod";

import type { Db } from "@/db/client";
import { notFound } from "@/lib/core/errors";
import { IMPLICIT_DENY, loadPolicy, type PolicySnapshot } from "@/lib/core/policy";
import { type EffectivePermission, effectivePermissions } from "@/lib/core/policy/effective";
import { getAgentOrThrow } from "../agents/internal";
import { requireViewer, type ServiceContext } from "../context";
import {
  loadActivePolicyVersion,
  loadAgentGrants,
  loadUpstreamByName,
  loadUpstreamTools,
} from "../gateway/loaders";

export const EffectivePermissionsInput = z
  .object({
    agentId: z.string().min(1, "Pick an agent").max(100),
    server: z.string().min(1, "Pick a server").max(100),
  })
  .strict();
export type EffectivePermissionsInput = z.input<typeof EffectivePermissionsInput>;

export type EffectivePermissionView = Omit<EffectivePermission, "expiresAt" | "grants"> & {
  expiresAt: string | null;
  grants: (Omit<EffectivePermission["grants"][number], "expiresAt"> & {
    expiresAt: string | null;
  })[];
};

export type EffectivePermissionsView = {
  agent: { id: string; name: string; disabled: boolean };
  server: { name: string; enabled: boolean };
  /** The version in force, or null when the server has none (every ungranted call is refused). */
  policy: { versionId: string; version: number } | null;
  posture: "allow" | "deny";
  /** When the verdicts were computed: grants expire, so they are true as of this instant. */
  at: string;
  tools: EffectivePermissionView[];
};

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function snapshotInForce(
  db: Db,
  upstreamId: string,
): { snapshot: PolicySnapshot; policy: EffectivePermissionsView["policy"] } {
  const active = loadActivePolicyVersion(db, upstreamId);
  const loaded = active ? loadPolicy(active.yaml) : null;
  if (active && loaded?.ok)
    return { snapshot: loaded.snapshot, policy: { versionId: active.id, version: active.version } };
  return { snapshot: IMPLICIT_DENY, policy: null };
}

/**
 * Every tool of one server's inventory with what one agent would get: visible or hidden,
 * allowed, refused or held for approval, the limits and the grant or rule that decides, using
 * the active policy, the agent's live grants and the inventory's definitions exactly as the
 * gateway loads them. Viewer role.
 */
export function getEffectivePermissions(
  ctx: ServiceContext,
  raw: EffectivePermissionsInput,
): EffectivePermissionsView {
  requireViewer(ctx);
  const input = EffectivePermissionsInput.parse(raw);
  // The gateway's own loaders; they only read, so a transaction handle serves as well.
  const db = ctx.db as Db;
  const agent = getAgentOrThrow(db, input.agentId);
  const upstream = loadUpstreamByName(db, input.server);
  if (!upstream) throw notFound("server", input.server);
  const { snapshot, policy } = snapshotInForce(db, upstream.id);
  const now = ctx.now().getTime();
  const tools = loadUpstreamTools(db, upstream.id).sort((a, b) => a.name.localeCompare(b.name));
  const verdicts = effectivePermissions({
    snapshot,
    server: upstream.name,
    agentId: agent.id,
    grants: loadAgentGrants(db, agent.id, upstream.id),
    now,
    tools: tools.map((t) => ({
      name: t.name,
      toolDefinition: { inputSchema: t.definition.inputSchema, hash: t.approvedHash },
      quarantined: t.status === "quarantined",
    })),
  });
  return {
    agent: { id: agent.id, name: agent.name, disabled: agent.disabledAt !== null },
    server: { name: upstream.name, enabled: upstream.enabled },
    policy,
    posture: snapshot.posture,
    at: new Date(now).toISOString(),
    tools: verdicts.map((v) => ({
      ...v,
      expiresAt: iso(v.expiresAt),
      grants: v.grants.map((g) => ({ ...g, expiresAt: iso(g.expiresAt) })),
    })),
  };
}
