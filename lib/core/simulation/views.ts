import type { GrantFix } from "../grants/reach";

export type SimulatedDecision = "allow" | "deny" | "approval_required";

/** One counter a call reads or adds to, with its value now. */
export type CounterUseView = {
  rule: string;
  describe: string;
  scope: "agent" | "shared";
  /** `5 per hour` (calendar, UTC) or `10 per 60 s` (rolling). */
  window: string;
  current: string;
  limit: string;
  /** What this call would add; null when the engine never got to the counter. */
  adds: string | null;
  /** The counter refused the call. */
  refused: boolean;
};

export type DryRunView = {
  policy: { label: string; version: number | null; draft: boolean };
  decision: SimulatedDecision;
  cause: string | null;
  rule: string | null;
  reason: string | null;
  /** Exactly what the agent would receive (a decision or approval id is assigned when the call is made). */
  reply: { text: string; isError: boolean } | null;
  /** For an allowed call: the agent gets the server's answer, nothing from the gateway. */
  forwarded: boolean;
  retryAfterSeconds: number | null;
  counters: CounterUseView[];
  grants: { id: string; toolPattern: string; effect: "allow" | "deny" }[];
  /** The tool is not in the server's inventory: argument validation refuses it. */
  unknownTool: boolean;
  /** What stops the call before the policy: a disabled server or agent. */
  blockedBefore: string[];
};

export type ReplayChangeView = {
  eventId: string;
  occurredAt: string;
  agent: string | null;
  tool: string | null;
  before: { decision: string; rule: string | null; cause: string | null };
  after: { decision: SimulatedDecision; rule: string | null; cause: string | null };
  arguments: unknown;
  argumentsMasked: boolean;
};

export type ReplayUnevaluatedView = {
  eventId: string;
  occurredAt: string;
  agent: string | null;
  tool: string | null;
  before: { decision: string; rule: string | null };
  /** Rules that read arguments the audit log did not keep in full. */
  rules: string[];
};

export type ReplayReport = {
  server: string;
  policy: { label: string; version: number | null; draft: boolean };
  requested: number;
  replayed: number;
  unchanged: number;
  changed: number;
  unevaluated: number;
  /** Rows that are not the policy's decision (quarantine, a continuation of an earlier call). */
  skipped: number;
  /** before → after with counts, most frequent first. */
  transitions: { before: string; after: SimulatedDecision; rule: string | null; count: number }[];
  /** Rules that could not be evaluated, with how many calls each. */
  unevaluatedRules: { rule: string; count: number }[];
  changes: ReplayChangeView[];
  unevaluatedCalls: ReplayUnevaluatedView[];
  /** Lists are capped; the counts above are complete. */
  listCap: number;
  from: string | null;
  to: string | null;
  elapsedMs: number;
};

export type ReplayProgress = { type: "progress"; done: number; total: number };
export type ReplayLine =
  | ReplayProgress
  | { type: "result"; report: ReplayReport }
  | {
      type: "error";
      message: string;
    };

export type GrantCheckView = {
  /** The refused call's agent and tool. */
  agentId: string;
  tool: string;
  /** The proposed pattern matches the tool. */
  applies: boolean;
  /** The call as the engine decides it now without the proposed grant, then with it. */
  without: {
    decision: SimulatedDecision;
    cause: string | null;
    rule: string | null;
    message: string | null;
  };
  with: {
    decision: SimulatedDecision;
    cause: string | null;
    rule: string | null;
    message: string | null;
  };
  /** The grant turns this refusal into an allowed (or approval-held) call. */
  helps: boolean;
  /** One plain sentence for the dialog. */
  verdict: string;
  fix: GrantFix;
  /** Link for the fix (the rule in the policy, the tool's review, the agent's grants). */
  fixHref: string | null;
  /** Rules that read arguments the audit row did not keep in full: the check is uncertain there. */
  uncertainRules: string[];
};
