import type { ClientSessionOptions } from "../client-session";
import { Continuations } from "../continuations";
import { ParkedCalls } from "../parking";
import { classify, idKey, type Message, type Outbound } from "../jsonrpc";
import { checkEnvelope, isModernRequest } from "../modern";
import { ModernRequest } from "../modern-request";
import { errorReply } from "../replies";

type Options = Omit<ClientSessionOptions, "key" | "sendDown"> & {
  writeOut: (message: Outbound) => void;
};

/**
 * Stateless (2026-07-28) requests on a stdio proxy, next to the session the client may also
 * have: each request is served on its own over the same upstream (which the proxy initializes
 * itself when the client never did), and `notifications/cancelled` naming one of them cancels it.
 */
export class StdioModernRequests {
  private readonly open = new Map<string, ModernRequest>();
  private readonly continuations = new Continuations();
  private readonly parking = new ParkedCalls();
  private seq = 0;

  constructor(private readonly o: Options) {}

  get inFlight(): number {
    return this.open.size;
  }

  /** Takes a stateless request, or a cancellation of one; false leaves the message to the session. */
  take(message: Message, raw: string): boolean {
    if (message.method === "notifications/cancelled") {
      const requestId = (message.params as { requestId?: unknown } | undefined)?.requestId;
      if (typeof requestId !== "string" && typeof requestId !== "number") return false;
      const request = this.open.get(idKey(requestId));
      if (!request) return false;
      // No answer follows a cancellation: the request is done here, and no longer in flight.
      request.cancel();
      this.open.delete(idKey(requestId));
      request.close();
      return true;
    }
    if (!isModernRequest(message)) return false;
    const c = classify(message);
    if (c.kind !== "request") return false;
    const envelope = checkEnvelope(c.message, null);
    if ("kind" in envelope) {
      this.o.enforcer.refuse({ cause: "malformed", reason: envelope.message }, raw);
      this.o.writeOut(errorReply(envelope.kind, envelope.id, envelope.message, envelope.data));
      return true;
    }
    const key = idKey(c.id);
    if (this.open.has(key)) {
      this.o.enforcer.refuse({ cause: "malformed", reason: "request id already in use" }, raw);
      this.o.writeOut(errorReply("invalid_request", c.id, "Invalid request: id already in use"));
      return true;
    }
    const request: ModernRequest = new ModernRequest(
      {
        ...this.o,
        key: `stdio-r${++this.seq}`,
        sendDown: (m) => {
          this.o.writeOut(m);
          if (!("method" in m) && m.id === c.id) {
            this.open.delete(key);
            request.close();
          }
        },
      },
      envelope,
      c.message,
      this.continuations,
      this.parking,
    );
    this.open.set(key, request);
    request.fromClient(c.message, raw);
    return true;
  }

  close(): void {
    for (const request of this.open.values()) request.close();
    this.open.clear();
  }
}
