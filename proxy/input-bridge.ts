import {
  CALLBACK_CAPABILITY,
  idKey,
  type JsonRpcId,
  type JSONRPCResponse,
  type Outbound,
} from "./jsonrpc";

type Asked = {
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
};

/**
 * Fulfils a stateless upstream's `input_required` result for a session-based client: each
 * embedded request (elicitation, sampling, roots) is put to the client as the server-to-client
 * request it used to be, on the stream of the call that caused it, and the answers become the
 * `inputResponses` of the retried call.
 */
export class InputBridge {
  private readonly asked = new Map<string, Asked>();
  private seq = 0;

  constructor(
    private readonly send: (message: Outbound, related: JsonRpcId) => void,
    private readonly capabilities: () => Record<string, unknown>,
  ) {}

  /** Takes the client's answer to one of the bridge's questions; false when it is not one. */
  answer(message: JSONRPCResponse): boolean {
    if (message.id === undefined) return false;
    const asked = this.asked.get(idKey(message.id));
    if (!asked) return false;
    this.asked.delete(idKey(message.id));
    clearTimeout(asked.timer);
    if ("error" in message) asked.reject(new Error(`the client refused: ${message.error.message}`));
    else asked.resolve(message.result);
    return true;
  }

  /** Asks the client everything `result.inputRequests` names; resolves with the responses by key. */
  async fulfil(
    result: Record<string, unknown>,
    related: JsonRpcId,
    timeoutMs: number,
  ): Promise<Record<string, unknown>> {
    const requests = result.inputRequests;
    if (!requests || typeof requests !== "object" || Array.isArray(requests)) return {};
    const entries = Object.entries(requests as Record<string, unknown>);
    const answers = await Promise.all(
      entries.map(([, r]) => {
        const { method, params } = (r ?? {}) as { method?: unknown; params?: unknown };
        if (typeof method !== "string" || !(method in CALLBACK_CAPABILITY))
          return Promise.reject(new Error(`the server asked for an unknown kind of input`));
        const capability = CALLBACK_CAPABILITY[method] ?? method;
        if (!(capability in this.capabilities()))
          return Promise.reject(
            new Error(`the server needs ${capability}, which this client did not declare`),
          );
        return this.ask(method, params, related, timeoutMs);
      }),
    );
    return Object.fromEntries(entries.map(([key], i) => [key, answers[i]]));
  }

  private ask(method: string, params: unknown, related: JsonRpcId, timeoutMs: number) {
    const id = `portcullis-input-${++this.seq}`;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.asked.delete(idKey(id));
        reject(new Error(`the client did not answer ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.asked.set(idKey(id), { resolve, reject, timer });
      this.send(
        {
          jsonrpc: "2.0",
          id,
          method,
          ...(params && typeof params === "object"
            ? { params: params as Record<string, unknown> }
            : {}),
        },
        related,
      );
    });
  }

  close(): void {
    for (const asked of this.asked.values()) {
      clearTimeout(asked.timer);
      asked.reject(new Error("session closed"));
    }
    this.asked.clear();
  }
}
