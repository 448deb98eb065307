import type { Db, Tx } from "@/db/client";
import {
  approvalPendingResult,
  type CounterReader,
  type Decision,
  evaluate,
  type Grant,
  grantLimit,
  refusalResult,
} from "@/lib/core/policy";
import { counterKey } from "@/lib/core/policy/evaluate";
import { patternMatches } from "@/lib/core/policy/glob";
import type { CompiledLimit, CounterRef } from "@/lib/core/policy/snapshot";
import { calendarWindow, type CounterWindow, rollingWindow } from "@/lib/core/policy/windows";
import type { CounterUseView, SimulatedDecision } from "@/lib/core/simulation/views";
import { readOnlyCounterReader, sumCounter } from "../counters";
import { quarantineDecision } from "../enforcement";
import { type SimulationBase, toolDefinitionOf } from "./context";

/** Stand-ins for the ids the gateway assigns when the call is really made. */
export const DECISION_ID_PLACEHOLDER = "evt_…";
export const APPROVAL_ID_PLACEHOLDER = "apr_…";

export type SimulatedCall = {
  agentId: string;
  tool: string;
  arguments: Record<string, unknown>;
  grants: readonly Grant[];
  now: number;
  /** Counters as they stood at this moment (re-deciding a past call); default: now. */
  countersUntil?: number;
  approved?: boolean;
};

export type Simulation = {
  decision: Decision;
  /** `quarantined` when the inventory holds the tool for review (decided before the policy). */
  cause: string | null;
  counters: CounterUseView[];
};

export const decisionLabel = (d: Decision): SimulatedDecision =>
  d.kind === "require_approval" ? "approval_required" : d.kind;

/**
 * Decides a hypothetical call with the gateway's engine, the same inputs the gateway gives it
 * (approved tool definition, the agent's grants, the counters' current values), and writes
 * nothing: counters are summed from their rows, no head moves, no reservation, no audit row.
 */
export function simulateCall(db: Db | Tx, base: SimulationBase, call: SimulatedCall): Simulation {
  const row = base.tools.get(call.tool);
  if (row?.status === "quarantined") {
    return { decision: quarantineDecision(call.tool), cause: "quarantined", counters: [] };
  }
  const reads = new Set<string>();
  const store = readOnlyCounterReader(db, call.countersUntil);
  const counters: CounterReader = Object.assign(
    (key: string, window: CounterWindow) => {
      reads.add(key);
      return store(key, window);
    },
    { entries: store.entries },
  );
  const decision = evaluate(base.policy.snapshot, {
    server: base.upstream.name,
    tool: call.tool,
    arguments: call.arguments,
    agentId: call.agentId,
    toolDefinition: toolDefinitionOf(base.tools, call.tool),
    grants: call.grants,
    counters,
    now: call.now,
    approved: call.approved,
  });
  return {
    decision,
    cause: decision.kind === "deny" ? decision.cause : null,
    counters: counterUses(db, base, call, decision, reads),
  };
}

type Candidate = {
  ref: CounterRef;
  window: CounterWindow;
  limit: string;
  describe: string;
  rule: string;
};

function windowText(limit: CompiledLimit): string {
  return limit.window.kind === "calendar"
    ? `per ${limit.window.unit} (UTC)`
    : `per ${limit.window.windowMs / 1000} s`;
}

/** Every counter the tool's rules and the agent's matching grants use, with its value now. */
function counterUses(
  db: Db | Tx,
  base: SimulationBase,
  call: SimulatedCall,
  decision: Decision,
  reads: ReadonlySet<string>,
): CounterUseView[] {
  const usable = call.grants.filter(
    (g) =>
      g.effect === "allow" &&
      (g.expiresAt == null || g.expiresAt > call.now) &&
      patternMatches(g.toolPattern, call.tool),
  );
  const grantSetsLimit = usable.some((g) => g.rateLimit);
  const limits: CompiledLimit[] = [
    ...base.policy.snapshot
      .resolve(call.tool)
      .rules.flatMap((r) => r.limits)
      .filter((l) => !(grantSetsLimit && l.source === "rate_limit" && l.scope === "agent")),
    ...usable.flatMap((g) => (g.rateLimit ? [grantLimit(g.id, g.toolPattern, g.rateLimit)] : [])),
  ];
  const candidates: (Candidate & { text: string })[] = limits.map((l) => ({
    ref: l,
    window:
      l.window.kind === "calendar"
        ? calendarWindow(l.window.unit, call.now)
        : rollingWindow(l.window.windowMs, call.now),
    limit: l.limitText,
    describe: l.describe,
    rule: l.rule,
    text: windowText(l),
  }));
  const reserved = new Map(
    (decision.kind === "allow" ? decision.reservations : []).map((r) => [r.key, r.amount]),
  );
  const seen = new Set<string>();
  const out: CounterUseView[] = [];
  for (const c of candidates) {
    const key = counterKey(c.ref, base.upstream.name, call.agentId);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      rule: c.rule,
      describe: c.describe,
      scope: c.ref.scope,
      window: c.text,
      current: sumCounter(db, key, c.window, call.countersUntil),
      limit: c.limit,
      adds: reserved.get(key) ?? null,
      refused:
        reads.has(key) &&
        decision.kind === "deny" &&
        decision.cause === "rate_limit" &&
        decision.reason.startsWith(`${c.describe}:`),
    });
  }
  return out;
}

/** What the agent would receive from the gateway; null for a forwarded call. */
export function replyOf(
  tool: string,
  decision: Decision,
  now: number,
): { text: string; isError: boolean } | null {
  if (decision.kind === "allow") return null;
  if (decision.kind === "deny") {
    const [content] = refusalResult(decision, DECISION_ID_PLACEHOLDER).content;
    return { text: content.text, isError: true };
  }
  const r = approvalPendingResult(tool, {
    approvalId: APPROVAL_ID_PLACEHOLDER,
    status: "pending",
    decisionId: DECISION_ID_PLACEHOLDER,
    rule: decision.rule,
    expiresAt: new Date(now + decision.timeoutMs).toISOString(),
  });
  return { text: r.content.map((c) => c.text).join("\n"), isError: r.isError };
}
