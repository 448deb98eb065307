import { invalid } from "@/lib/core/errors";
import { findNonFinite, formatJsonPath } from "@/lib/core/json-safety";
import { DryRunInput } from "@/lib/core/simulation/inputs";
import type { DryRunView } from "@/lib/core/simulation/views";
import { getAgentOrThrow } from "../agents/internal";
import { requireViewer, type ServiceContext } from "../context";
import { loadAgentGrants } from "../gateway/loaders";
import { simulationBase } from "./context";
import { decisionLabel, replyOf, simulateCall } from "./simulate";

/** The typed arguments: JSON text of one object, or a VALIDATION error that says what is wrong. */
export function parseArgumentsText(text: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw invalid(`Arguments are not valid JSON: ${(err as Error).message}`, {
      field: "arguments",
    });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalid('Arguments must be a JSON object, such as {"message": "hi"}', {
      field: "arguments",
    });
  }
  const bad = findNonFinite(value);
  if (bad) throw invalid(`Arguments hold a number JSON cannot carry at ${formatJsonPath(bad)}`);
  return value as Record<string, unknown>;
}

/**
 * Test a call: decides what the gateway would do with this agent calling this tool with these
 * arguments, against the policy in force or an unsaved draft, and says what the agent would
 * receive and which counters the call would use. Writes nothing and reaches no upstream. Any
 * signed-in user: the arguments are the caller's own and no stored argument is shown.
 */
export function dryRunCall(ctx: ServiceContext, raw: DryRunInput): DryRunView {
  requireViewer(ctx);
  const input = DryRunInput.parse(raw);
  const args = parseArgumentsText(input.arguments);
  const base = simulationBase(ctx.db, input.upstreamId, input.draft);
  const agent = getAgentOrThrow(ctx.db, input.agentId);
  const grants = loadAgentGrants(ctx.db, agent.id, base.upstream.id);
  const now = ctx.now().getTime();
  const sim = simulateCall(ctx.db, base, {
    agentId: agent.id,
    tool: input.tool,
    arguments: args,
    grants,
    now,
  });
  const d = sim.decision;
  return {
    policy: {
      label: base.policy.label,
      version: base.policy.version,
      draft: base.policy.label === "draft",
    },
    decision: decisionLabel(d),
    cause: sim.cause,
    rule: d.rule,
    reason: d.kind === "allow" ? null : d.reason,
    reply: replyOf(input.tool, d, now),
    forwarded: d.kind === "allow",
    retryAfterSeconds: d.kind === "deny" ? (d.retryAfterSeconds ?? null) : null,
    counters: sim.counters,
    grants: grants
      .filter((g) => g.expiresAt === null || g.expiresAt > now)
      .map((g) => ({ id: g.id, toolPattern: g.toolPattern, effect: g.effect })),
    unknownTool: !base.tools.has(input.tool),
    blockedBefore: [
      ...(base.upstream.enabled
        ? []
        : [`${base.upstream.name} is disabled: the gateway refuses every call to it.`]),
      ...(agent.disabledAt ? [`${agent.name} is disabled: its keys are refused.`] : []),
    ],
  };
}
