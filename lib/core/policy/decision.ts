import type { ToolDefinition } from "./schema-validator";
import type { CounterWindow } from "./windows";

/** An agent × server grant. `expiresAt` is epoch ms; an expired grant is ignored. */
export type Grant = {
  id: string;
  effect: "allow" | "deny";
  toolPattern: string;
  rateLimit?: { max: number; windowSeconds: number } | null;
  expiresAt?: number | null;
};

/** One recorded amount, for exact retry-after on rolling windows. */
export type CounterEntry = { at: number; amount: string };

/**
 * Returns the exact decimal sum recorded under `key` inside `window`. Synchronous: the caller
 * runs it inside the transaction that will also write the reservations. The optional
 * `entries` walks the records the sum covers, oldest first, so rolling retry-after can be
 * exact; the engine stops early, so a lazy iterator keeps a refusal cheap. Without it
 * retry-after is the window length, an upper bound.
 */
export type CounterReader = {
  (key: string, window: CounterWindow): string;
  entries?: (key: string, window: CounterWindow) => Iterable<CounterEntry>;
};

export type EvaluateInput = {
  server: string;
  tool: string;
  /** Raw `params.arguments`; `undefined` means `{}`, anything but a JSON object is refused. */
  arguments: unknown;
  agentId: string;
  /** From the inventory; absent means argument validation cannot run and the call is refused. */
  toolDefinition?: ToolDefinition;
  grants: readonly Grant[];
  counters: CounterReader;
  now: number;
  /** An approved, unconsumed approval exists for this exact call: every approval rule passes. */
  approved?: boolean;
  /** Narrower form of `approved`: only the approval rule with this name passes. */
  approvedRule?: string | null;
};

/** A counter write the caller must make (same transaction) when it acts on the decision. */
export type Reservation = {
  key: string;
  amount: string;
  window: CounterWindow;
  limit: string;
  /** `limit` is inclusive (`lte`, rate limits) or exclusive (`lt`). */
  inclusive: boolean;
  rule: string;
};

export type DenyCause =
  | "hidden"
  | "not_permitted"
  | "grant_deny"
  | "rule"
  | "condition"
  | "rate_limit"
  | "invalid_arguments"
  | "internal";

export type Decision =
  | { kind: "allow"; rule: string | null; reservations: Reservation[] }
  | {
      kind: "deny";
      cause: DenyCause;
      rule: string | null;
      reason: string;
      message: string;
      retryAfterSeconds?: number;
    }
  | {
      kind: "require_approval";
      rule: string;
      timeoutMs: number;
      reason: string;
      reservations: Reservation[];
    };

export type DenyDecision = Extract<Decision, { kind: "deny" }>;
