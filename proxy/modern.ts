import type { IncomingHttpHeaders } from "node:http";

import type { JsonRpcId, JSONRPCRequest } from "./jsonrpc";
import type { ErrorKind } from "./replies";

/** The stateless protocol revision the gateway serves next to the session-based ones. */
export const MODERN_VERSION = "2026-07-28";
export const MODERN_VERSIONS: readonly string[] = [MODERN_VERSION];

export const META = {
  protocolVersion: "io.modelcontextprotocol/protocolVersion",
  clientCapabilities: "io.modelcontextprotocol/clientCapabilities",
  clientInfo: "io.modelcontextprotocol/clientInfo",
  logLevel: "io.modelcontextprotocol/logLevel",
  serverInfo: "io.modelcontextprotocol/serverInfo",
  subscriptionId: "io.modelcontextprotocol/subscriptionId",
} as const;

/** Requests a 2026-07-28 client may send; everything else (initialize, ping, …) is 404 / -32601. */
export const MODERN_METHODS = new Set([
  "server/discover",
  "tools/list",
  "tools/call",
  "prompts/list",
  "prompts/get",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "completion/complete",
  "subscriptions/listen",
  // The tasks extension: decided when a tools/call creates the task; the rest is bound to its owner.
  "tasks/get",
  "tasks/update",
  "tasks/cancel",
]);

/** Results a client may cache, per the revision's caching hints. */
const CACHEABLE = new Set([
  "server/discover",
  "tools/list",
  "prompts/list",
  "resources/list",
  "resources/templates/list",
  "resources/read",
]);

/** Methods whose `Mcp-Name` header mirrors a body field. */
export const MIRRORED_NAME: Readonly<Record<string, string>> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri",
  "tasks/get": "taskId",
  "tasks/update": "taskId",
  "tasks/cancel": "taskId",
};

export type ModernRefusal = {
  kind: ErrorKind;
  message: string;
  data?: unknown;
  id: JsonRpcId | null;
};

export type ModernEnvelope = {
  capabilities: Record<string, unknown>;
  logLevel: string | null;
};

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return (Array.isArray(v) ? v[0] : v)?.trim();
};

/** `=?base64?…?=` carries values that are not plain visible ASCII. */
function decodeHeaderValue(value: string): string | null {
  const m = /^=\?base64\?([A-Za-z0-9+/=]*)\?=$/.exec(value);
  if (!m) return /^[\x20-\x7e]*$/.test(value) ? value : null;
  try {
    return Buffer.from(m[1] ?? "", "base64").toString("utf8");
  } catch {
    return null;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Which revision a POSTed message speaks, from its body: a request whose `_meta` claims a protocol
 * version is stateless (2026-07-28 and later); anything else uses the session-based revisions.
 * A request with no claim under a header that names a stateless version is malformed.
 */
export function classifyEra(
  message: Record<string, unknown>,
  headers: IncomingHttpHeaders,
): "modern" | "legacy" | ModernRefusal {
  const params = message.params;
  const meta = isObject(params) ? params._meta : undefined;
  if (isObject(meta) && META.protocolVersion in meta) return "modern";
  const version = header(headers, "mcp-protocol-version");
  if (version !== undefined && version >= MODERN_VERSION && typeof message.method === "string") {
    const id = message.id;
    return {
      kind: "invalid_envelope",
      message: `Invalid params: a ${version} request carries ${META.protocolVersion} and ${META.clientCapabilities} in params._meta`,
      id: typeof id === "string" || typeof id === "number" ? id : null,
    };
  }
  return "legacy";
}

/**
 * Checks a stateless request's envelope and its mirrored headers, in the order the revision's
 * errors are defined: bad `_meta` (-32602), version header mismatch (-32020), unsupported version
 * (-32022), then the other mirrored headers (-32020).
 */
export function checkEnvelope(
  request: JSONRPCRequest,
  /** HTTP headers to check against the body; null on stdio, which has none. */
  headers: IncomingHttpHeaders | null,
): ModernEnvelope | ModernRefusal {
  const { id } = request;
  const meta = request.params?._meta as Record<string, unknown> | undefined;
  const version = meta?.[META.protocolVersion];
  const capabilities = meta?.[META.clientCapabilities];
  if (!meta || typeof version !== "string" || !isObject(capabilities)) {
    return {
      kind: "invalid_envelope",
      message: `Invalid params: params._meta needs ${META.protocolVersion} (a string) and ${META.clientCapabilities} (an object)`,
      id,
    };
  }
  const mismatch = (what: string): ModernRefusal => ({
    kind: "header_mismatch",
    message: `Header mismatch: ${what}`,
    id,
  });
  if (headers && header(headers, "mcp-protocol-version") !== version)
    return mismatch("MCP-Protocol-Version must equal the request's protocol version");
  if (!MODERN_VERSIONS.includes(version)) {
    return {
      kind: "unsupported_version",
      message: `Unsupported protocol version ${version.slice(0, 40)}`,
      data: { supported: MODERN_VERSIONS, requested: version },
      id,
    };
  }
  const level = meta[META.logLevel];
  const envelope = { capabilities, logLevel: typeof level === "string" ? level : null };
  if (!headers) return envelope;
  if (header(headers, "mcp-method") !== request.method)
    return mismatch("Mcp-Method must equal the request's method");
  const field = MIRRORED_NAME[request.method];
  const bodyName = field ? request.params?.[field] : undefined;
  if (typeof bodyName === "string") {
    const raw = header(headers, "mcp-name");
    if (raw === undefined) return mismatch("Mcp-Name is missing");
    if (decodeHeaderValue(raw) !== bodyName)
      return mismatch("Mcp-Name must equal the request's " + field);
  }
  return envelope;
}

/** Whether a parsed message is a stateless (2026-07-28) request: its `_meta` claims a version. */
export function isModernRequest(message: Record<string, unknown>): boolean {
  const params = message.params;
  const meta = isObject(params) ? params._meta : undefined;
  return (
    typeof message.method === "string" &&
    "id" in message &&
    isObject(meta) &&
    META.protocolVersion in meta
  );
}

/** The request as a session-based upstream expects it: the stateless envelope keys removed. */
export function toLegacyRequest(request: JSONRPCRequest): JSONRPCRequest {
  const params = request.params;
  const meta = params?._meta;
  if (!params || !meta) return request;
  const rest: Record<string, unknown> = {};
  for (const key of Object.keys(meta))
    if (!key.startsWith("io.modelcontextprotocol/")) rest[key] = meta[key];
  const { _meta: _dropped, ...body } = params;
  return {
    ...request,
    params: Object.keys(rest).length > 0 ? { ...body, _meta: rest } : body,
  };
}

/**
 * A result as the stateless revision shapes it: `resultType`, and caching hints that never let
 * a client keep a list across a policy change or share one between agents (lists are filtered
 * per agent, and policies apply on the next call).
 */
export function toModernResult(
  method: string,
  result: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...result };
  if (typeof out.resultType !== "string") out.resultType = "complete";
  if (CACHEABLE.has(method) && out.resultType === "complete") {
    out.ttlMs = 0;
    out.cacheScope = "private";
  }
  return out;
}

/** `server/discover`, answered from the upstream's own initialize (a session-based upstream). */
export function discoverResult(init: Record<string, unknown>): Record<string, unknown> {
  const capabilities = isObject(init.capabilities) ? { ...init.capabilities } : {};
  // Logging level is per request now; a session-wide capability means nothing to this client.
  delete capabilities.logging;
  delete capabilities.tasks;
  return toModernResult("server/discover", {
    supportedVersions: MODERN_VERSIONS,
    capabilities,
    ...(typeof init.instructions === "string" ? { instructions: init.instructions } : {}),
    _meta: isObject(init.serverInfo) ? { [META.serverInfo]: init.serverInfo } : {},
  });
}

/** The HTTP status of a stateless request's error answer: 404 for an unknown method, else in band. */
export function modernStatus(code: number): number {
  if (code === -32601) return 404;
  if (code === -32021 || code === -32020 || code === -32022) return 400;
  return 200;
}
