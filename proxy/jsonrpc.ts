import { findNonFinite, formatJsonPath } from "@/lib/core/json-safety";
import type {
  JSONRPCErrorResponse,
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  JSONRPCResponse,
  JSONRPCResultResponse,
  RequestId,
} from "@modelcontextprotocol/sdk/types.js";

export type JsonRpcId = RequestId;
/** A JSON object as it arrived, before `classify` has said what it is. */
export type Message = Record<string, unknown>;
export type { JSONRPCMessage, JSONRPCNotification, JSONRPCRequest, JSONRPCResponse };

/** What an inbound object is; the typed `message` is the same object, checked. */
export type Classified =
  | { kind: "request"; id: JsonRpcId; method: string; params: unknown; message: JSONRPCRequest }
  | { kind: "notification"; method: string; params: unknown; message: JSONRPCNotification }
  | { kind: "response"; id: JsonRpcId; message: JSONRPCResponse }
  | { kind: "invalid"; id: JsonRpcId | null; reason: string };

export type Frame =
  | { ok: true; message: Message }
  | { ok: false; cause: "malformed" | "oversize" | "batch"; reason: string; id: JsonRpcId | null };

export type FrameLimits = { maxBytes: number; maxDepth: number };

export const JSONRPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  UPSTREAM_ERROR: -32000,
  REQUEST_TIMEOUT: -32001,
} as const;

/** Nesting depth of JSON text, scanned without recursion so a hostile body cannot blow the stack. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

function isId(v: unknown): v is JsonRpcId {
  return (
    (typeof v === "string" && v.length <= 256) || (typeof v === "number" && Number.isFinite(v))
  );
}

/**
 * Parses one inbound JSON-RPC frame under size and depth caps. Batches are refused (MCP
 * 2025-06 dropped them, and a batch would let one frame carry calls past per-message checks).
 */
export function parseFrame(text: string, limits: FrameLimits): Frame {
  if (Buffer.byteLength(text) > limits.maxBytes) {
    return {
      ok: false,
      cause: "oversize",
      reason: `message exceeds ${limits.maxBytes} bytes`,
      id: null,
    };
  }
  if (jsonDepth(text) > limits.maxDepth) {
    return {
      ok: false,
      cause: "malformed",
      reason: `JSON nested deeper than ${limits.maxDepth}`,
      id: null,
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, cause: "malformed", reason: "not valid JSON", id: null };
  }
  return checkParsed(value);
}

/**
 * Frame checks for a body some other layer already parsed (the HTTP gateway). A number that
 * parsed to Infinity (`1e309`) is refused: it would be checked as Infinity but forwarded and
 * audited as `null`, so what was evaluated would not be what was sent.
 */
export function checkParsed(value: unknown): Frame {
  if (Array.isArray(value))
    return { ok: false, cause: "batch", reason: "JSON-RPC batches are not accepted", id: null };
  if (value === null || typeof value !== "object") {
    return {
      ok: false,
      cause: "malformed",
      reason: "a JSON-RPC message must be an object",
      id: null,
    };
  }
  const message = value as Message;
  const nonFinite = findNonFinite(message);
  if (nonFinite) {
    return {
      ok: false,
      cause: "malformed",
      reason: `number out of range at ${formatJsonPath(nonFinite)} (JSON numbers must be finite)`,
      id: isId(message.id) ? message.id : null,
    };
  }
  return { ok: true, message };
}

export function classify(msg: Message): Classified {
  const rawId = msg.id;
  const id = isId(rawId) ? rawId : null;
  if (msg.jsonrpc !== "2.0") return { kind: "invalid", id, reason: 'jsonrpc must be "2.0"' };
  if ("method" in msg) {
    if (typeof msg.method !== "string" || msg.method.length === 0 || msg.method.length > 256) {
      return { kind: "invalid", id, reason: "method must be a non-empty string" };
    }
    // JSON-RPC allows by-position params; MCP defines every method's params as an object.
    if (
      "params" in msg &&
      (msg.params === null || typeof msg.params !== "object" || Array.isArray(msg.params))
    ) {
      return { kind: "invalid", id, reason: "params must be an object" };
    }
    if ("id" in msg) {
      if (id === null)
        return { kind: "invalid", id: null, reason: "id must be a string or number" };
      return {
        kind: "request",
        id,
        method: msg.method,
        params: msg.params,
        message: msg as JSONRPCRequest,
      };
    }
    return {
      kind: "notification",
      method: msg.method,
      params: msg.params,
      message: msg as JSONRPCNotification,
    };
  }
  if (id !== null && ("result" in msg || "error" in msg))
    return { kind: "response", id, message: msg as JSONRPCResponse };
  return { kind: "invalid", id, reason: "neither a request, a notification nor a response" };
}

/** What a server may ask a client mid-call, and the capability the client must have declared. */
export const CALLBACK_CAPABILITY: Readonly<Record<string, string>> = {
  "sampling/createMessage": "sampling",
  "elicitation/create": "elicitation",
  "roots/list": "roots",
};

export const idKey = (id: JsonRpcId): string => (typeof id === "number" ? `n:${id}` : `s:${id}`);

/** An error answer; JSON-RPC says `id: null` when the request's id could not be read. */
export type ErrorReply = Omit<JSONRPCErrorResponse, "id"> & { id: JsonRpcId | null };
/** Anything the proxy writes to a client or an upstream. */
export type Outbound = JSONRPCMessage | ErrorReply;

export function errorResponse(
  id: JsonRpcId | null,
  code: number,
  message: string,
  data?: unknown,
): ErrorReply {
  return {
    jsonrpc: "2.0",
    id,
    error: data === undefined ? { code, message } : { code, message, data },
  };
}

export function resultResponse(
  id: JsonRpcId,
  result: Record<string, unknown>,
): JSONRPCResultResponse {
  return { jsonrpc: "2.0", id, result };
}

const LEADING_ID =
  /^\s*\{(?:\s*"(?:[^"\\]|\\.)*"\s*:\s*(?:"(?:[^"\\]|\\.)*"|-?[\d.eE+-]+|true|false|null)\s*,)*?\s*"id"\s*:\s*("(?:[^"\\]|\\.){0,256}"|-?\d{1,15})\s*[,}]/;

/**
 * The id of a message that cannot be parsed as a whole (too large, too deep), read from its
 * start when every member before it is a plain scalar; null when that is not certain.
 */
export function peekId(text: string): JsonRpcId | null {
  const m = LEADING_ID.exec(text.slice(0, 4096));
  if (!m?.[1]) return null;
  try {
    const id = JSON.parse(m[1]) as unknown;
    return isId(id) ? id : null;
  } catch {
    return null;
  }
}
