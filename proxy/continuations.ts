import { createHash } from "node:crypto";

import { canonicalJson } from "@/lib/core/canonical-json";

type FirstRound = {
  decisionId: string;
  agentId: string;
  server: string;
  tool: string;
  args: string;
  expiresAt: number;
};

export type Continuation = { decisionId: string } | { mismatch: string } | null;

const TTL_MS = 10 * 60_000;
const MAX = 10_000;

const digest = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * The first rounds of stateless calls that asked the client for input, so the retry that brings
 * the input is recognised as the same logical call: bound to the same agent, server, tool and
 * arguments, decided again without charging its limits twice, its rows linked to the first
 * decision, once. `requestState` is only ever hashed here, never read or changed. Kept per process: a
 * retry that reaches another gateway process is decided as a new call (it can only over-count).
 */
export class Continuations {
  private readonly rounds = new Map<string, FirstRound>();

  remember(
    first: { decisionId: string; agentId: string; server: string; tool: string; args: unknown },
    requestState: unknown,
  ): void {
    this.sweep();
    const round: FirstRound = {
      decisionId: first.decisionId,
      agentId: first.agentId,
      server: first.server,
      tool: first.tool,
      args: canonicalJson(first.args),
      expiresAt: Date.now() + TTL_MS,
    };
    this.rounds.set(this.key(round, requestState), round);
  }

  /** The first round a retry continues; a mismatch when it continues someone else's call. */
  find(
    call: { agentId: string; server: string; tool: string; args: unknown },
    params: { requestState?: unknown; inputResponses?: unknown },
  ): Continuation {
    if (params.requestState === undefined && params.inputResponses === undefined) return null;
    const args = canonicalJson(call.args);
    const key = this.key({ ...call, args }, params.requestState);
    const round = this.rounds.get(key);
    if (!round || round.expiresAt < Date.now()) return null;
    if (round.agentId !== call.agentId || round.server !== call.server || round.tool !== call.tool)
      return { mismatch: "the retried call continues another agent's or tool's call" };
    if (round.args !== args)
      return { mismatch: "the arguments of a retried call must match its first round" };
    // Used once: a replayed retry is a new call, charged and checked like any other. A round
    // that asks again is remembered again, under its new requestState.
    this.rounds.delete(key);
    return { decisionId: round.decisionId };
  }

  private key(round: Omit<FirstRound, "decisionId" | "expiresAt">, requestState: unknown): string {
    return typeof requestState === "string"
      ? `state:${digest(requestState)}`
      : `call:${digest(canonicalJson([round.agentId, round.server, round.tool, round.args]))}`;
  }

  private sweep(): void {
    if (this.rounds.size < MAX) return;
    const now = Date.now();
    for (const [k, r] of this.rounds) if (r.expiresAt < now) this.rounds.delete(k);
    if (this.rounds.size >= MAX) this.rounds.clear();
  }
}
