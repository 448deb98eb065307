import { eq } from "drizzle-orm";

import type { Db, Tx } from "@/db/client";
import { auditEvents } from "@/db/schema";
import { invalid, notFound } from "@/lib/core/errors";
import { grantReach, type GrantFix } from "@/lib/core/grants/reach";
import type { Decision, Grant } from "@/lib/core/policy";
import {
  decisionRestsOnGaps,
  rulesReadingGaps,
  storedArgumentGaps,
} from "@/lib/core/policy/argument-gaps";
import { patternMatches } from "@/lib/core/policy/glob";
import { GrantCheckInput } from "@/lib/core/simulation/inputs";
import type { GrantCheckView } from "@/lib/core/simulation/views";
import { requireEditor, type ServiceContext } from "../context";
import { loadAgentGrants } from "../gateway/loaders";
import { getUpstreamByName } from "../upstreams/internal";
import { simulationBase } from "./context";
import { decisionLabel, type Simulation, simulateCall } from "./simulate";

const PROPOSED_ID = "proposed";

function outcome(sim: Simulation): GrantCheckView["with"] {
  const d = sim.decision;
  return {
    decision: decisionLabel(d),
    cause: sim.cause,
    rule: d.rule,
    message: d.kind === "deny" ? d.message : null,
  };
}

function windowWords(seconds: number): string {
  if (seconds === 60) return "minute";
  if (seconds === 3600) return "hour";
  if (seconds === 86_400) return "day";
  return `${seconds} s`;
}

function fixHref(
  fix: GrantFix,
  server: string,
  agentId: string,
  rule: string | null,
): string | null {
  const s = encodeURIComponent(server);
  switch (fix) {
    case "edit_rule":
      return rule
        ? `/console/policies/${s}?rule=${encodeURIComponent(rule)}`
        : `/console/policies/${s}/edit`;
    case "edit_hide":
      return `/console/policies/${s}/edit`;
    case "revoke_deny_grant":
      return `/console/grants?agentId=${encodeURIComponent(agentId)}`;
    case "review_tool":
      return `/console/servers/${s}`;
    default:
      return null;
  }
}

type RefusedCall = {
  server: string;
  upstreamId: string;
  agentId: string;
  tool: string;
  occurredAt: number;
  arguments: string | null;
  argumentsMode: string | null;
  /** The refusal as recorded. */
  refusal: GrantCheckView["with"];
};

function refusedCall(db: Db | Tx, eventId: string): RefusedCall {
  const row = db.select().from(auditEvents).where(eq(auditEvents.id, eventId)).get();
  if (!row) throw notFound("audit event", eventId);
  if (
    row.action !== "tool_call.decide" ||
    row.decision !== "deny" ||
    row.actorType !== "agent" ||
    !row.actorId ||
    !row.server ||
    !row.tool
  )
    throw invalid("Only a tool call an agent was refused can be turned into a grant");
  const upstream = getUpstreamByName(db, row.server);
  if (!upstream) throw notFound("server", row.server);
  return {
    server: row.server,
    upstreamId: upstream.id,
    agentId: row.actorId,
    tool: row.tool,
    occurredAt: row.occurredAt,
    arguments: row.arguments,
    argumentsMode: row.argumentsMode,
    refusal: { decision: "deny", cause: row.cause, rule: row.rule, message: row.message },
  };
}

/**
 * Would this grant have let the refused call through? Re-decides the call with the engine the
 * gateway uses — the policy in force now, the agent's grants, the counters as they stood when
 * it was refused, the arguments as the audit log kept them — once without the proposed grant
 * and once with it. Writes nothing. Where the audit log did not keep an argument a deciding
 * rule reads, the answer is marked uncertain and names those rules.
 */
export function checkGrantForCall(ctx: ServiceContext, raw: GrantCheckInput): GrantCheckView {
  requireEditor(ctx);
  const input = GrantCheckInput.parse(raw);
  const call = refusedCall(ctx.db, input.eventId);
  const base = simulationBase(ctx.db, call.upstreamId, null);
  const { args, gaps } = storedArgumentGaps(
    call.arguments === null ? null : (JSON.parse(call.arguments) as unknown),
    call.argumentsMode,
  );
  const grants = loadAgentGrants(ctx.db, call.agentId, call.upstreamId);
  const proposed: Grant = {
    id: PROPOSED_ID,
    effect: "allow",
    toolPattern: input.toolPattern,
    rateLimit: input.rateLimit ?? null,
    expiresAt: null,
  };
  const common = {
    agentId: call.agentId,
    tool: call.tool,
    arguments: args ?? {},
    now: call.occurredAt,
    countersUntil: call.occurredAt,
  };
  const without = simulateCall(ctx.db, base, { ...common, grants });
  const withGrant = simulateCall(ctx.db, base, { ...common, grants: [...grants, proposed] });
  const blocked = rulesReadingGaps(base.policy.snapshot, call.tool, gaps);
  const rests = (d: Decision) => decisionRestsOnGaps(base.policy.snapshot, call.tool, d, blocked);
  let before = outcome(without);
  let after = outcome(withGrant);
  let uncertainRules = rests(withGrant.decision) ? blocked : [];
  if (rests(without.decision)) {
    // The arguments the deciding rules read are gone: trust the refusal as it was recorded.
    before = call.refusal;
    if (grantReach(call.refusal.cause).helps === "no") {
      after = call.refusal;
      uncertainRules = [];
    }
  }
  const helps = before.decision === "deny" && after.decision !== "deny";

  let verdict: string;
  let fix: GrantFix = "none";
  if (!patternMatches(input.toolPattern, call.tool)) {
    verdict = `The pattern "${input.toolPattern}" does not match the tool "${call.tool}", so the grant would not apply to this call.`;
  } else if (before.decision !== "deny") {
    verdict =
      before.decision === "allow"
        ? "The policy in force now already lets this call through; no grant is needed."
        : `The policy in force now already lets this call through to an approval (rule "${before.rule ?? ""}"); no grant is needed.`;
  } else if (helps) {
    const limit = input.rateLimit
      ? ` Its own limit of ${input.rateLimit.max} per ${windowWords(input.rateLimit.windowSeconds)} applies to this agent.`
      : "";
    verdict =
      after.decision === "allow"
        ? `With this grant the next identical call goes through.${limit}`
        : `With this grant the next identical call waits for a human approval (rule "${after.rule ?? ""}").${limit}`;
  } else {
    const reach = grantReach(after.cause);
    fix = reach.fix === "set_own_limit" && input.rateLimit ? "edit_rule" : reach.fix;
    verdict = `This grant would not change the decision: the call would still be refused — ${after.message ?? "not permitted"}. ${reach.why}`;
  }
  return {
    agentId: call.agentId,
    tool: call.tool,
    applies: patternMatches(input.toolPattern, call.tool),
    without: before,
    with: after,
    helps,
    verdict,
    fix,
    fixHref: fixHref(fix, call.server, call.agentId, after.rule),
    uncertainRules,
  };
}
