import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

import { canonicalJson } from "@/lib/core/canonical-json";
import { type JsonRpcId, type Outbound } from "./jsonrpc";
import type { SessionPort, UpstreamConnection } from "./upstream/connection";

/** Holds a call while it is parked: the upstream's answer, if it comes before the retry. */
export class ParkedPort implements SessionPort {
  readonly interactive: boolean;
  answer: Outbound | null = null;

  constructor(
    readonly key: string,
    readonly clientCapabilities: Record<string, unknown>,
  ) {
    this.interactive = "sampling" in clientCapabilities || "elicitation" in clientCapabilities;
  }

  deliver(message: Outbound): void {
    if (!("method" in message)) this.answer = message;
  }
}

export type ParkedCall = {
  port: ParkedPort;
  connection: UpstreamConnection;
  /** The server-to-client request the client is answering, and its key in `inputRequests`. */
  serverRequestId: JsonRpcId;
  inputKey: string;
  agentId: string;
  server: string;
  tool: string;
  args: string;
  /** Gives up: the upstream call is cancelled and the round's outcome recorded. */
  expire: () => void;
  timer?: NodeJS.Timeout;
};

/**
 * Calls of stateless clients parked on a session-based upstream that asked them something
 * mid-call (sampling, elicitation, roots): the client got an `input_required` result whose
 * `requestState` names the parked call, signed by this process, and its retry takes the running
 * upstream call over with the answer. A call not taken up in time is cancelled upstream.
 */
export class ParkedCalls {
  private readonly secret = randomBytes(32);
  private readonly calls = new Map<string, ParkedCall>();
  private seq = 0;

  park(call: Omit<ParkedCall, "args"> & { args: unknown }, ttlMs: number): string {
    const id = `${Date.now().toString(36)}-${++this.seq}`;
    const parked: ParkedCall = { ...call, args: canonicalJson(call.args) };
    parked.timer = setTimeout(() => {
      if (this.calls.delete(id)) parked.expire();
    }, ttlMs);
    parked.timer.unref();
    this.calls.set(id, parked);
    return `portcullis-parked:${id}.${this.sign(id)}`;
  }

  /** Whether a retry names a parked call at all (taken over or not). */
  static names(requestState: unknown): boolean {
    return typeof requestState === "string" && requestState.startsWith("portcullis-parked:");
  }

  /** The parked call a retry names, if it is this agent's call of this tool with these arguments. */
  claim(
    requestState: unknown,
    call: { agentId: string; server: string; tool: string; args: unknown },
  ): ParkedCall | null {
    if (typeof requestState !== "string") return null;
    const m = /^portcullis-parked:([\w-]+)\.([0-9a-f]{64})$/.exec(requestState);
    if (!m?.[1] || !m[2]) return null;
    const expected = Buffer.from(this.sign(m[1]), "hex");
    if (!timingSafeEqual(expected, Buffer.from(m[2], "hex"))) return null;
    const parked = this.calls.get(m[1]);
    if (!parked) return null;
    const same =
      parked.agentId === call.agentId &&
      parked.server === call.server &&
      parked.tool === call.tool &&
      parked.args === canonicalJson(call.args);
    if (!same) return null;
    this.calls.delete(m[1]);
    clearTimeout(parked.timer);
    return parked;
  }

  private sign(id: string): string {
    return createHmac("sha256", this.secret).update(id).digest("hex");
  }
}
