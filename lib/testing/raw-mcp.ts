/** JSON-RPC as raw text, for tests that must send what no client library would. */

export type RawReply = { id?: unknown; method?: string; result?: unknown; error?: unknown };

/** An initialize request (2025-11-25) with id "init", as JSON text. */
export function initializeText(clientName: string): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id: "init",
    method: "initialize",
    params: {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: clientName, version: "1" },
    },
  });
}

export const INITIALIZED_TEXT = JSON.stringify({
  jsonrpc: "2.0",
  method: "notifications/initialized",
});

/**
 * One Streamable HTTP session on a gateway endpoint, posting raw bodies: the first answer's
 * `mcp-session-id` is sent from then on; JSON and event-stream answers are both read.
 */
export function rawHttpSession(url: string, key: string, timeoutMs = 20_000) {
  let session = "";
  return async (body: string): Promise<{ status: number; messages: RawReply[] }> => {
    const res = await fetch(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-11-25",
        ...(session ? { "mcp-session-id": session } : {}),
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    session ||= res.headers.get("mcp-session-id") ?? "";
    const text = await res.text();
    const messages = (res.headers.get("content-type") ?? "").includes("text/event-stream")
      ? text
          .split("\n")
          .filter((l) => l.startsWith("data:") && l.length > 5)
          .map((l) => JSON.parse(l.slice(5)) as RawReply)
      : text
        ? [JSON.parse(text) as RawReply]
        : [];
    return { status: res.status, messages };
  };
}
