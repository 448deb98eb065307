import { type ErrorReply, errorResponse, JSONRPC, type JsonRpcId, resultResponse } from "./jsonrpc";

/**
 * Every error the gateway itself answers, with its JSON-RPC code and the HTTP status the
 * Streamable HTTP transport sends it with (stdio ignores the status). Nothing else in proxy/
 * invents an error code.
 */
export const ERRORS = {
  parse_error: { code: JSONRPC.PARSE_ERROR, status: 400 },
  invalid_request: { code: JSONRPC.INVALID_REQUEST, status: 400 },
  batch: { code: JSONRPC.INVALID_REQUEST, status: 400 },
  oversize: { code: JSONRPC.INVALID_REQUEST, status: 413 },
  method_not_found: { code: JSONRPC.METHOD_NOT_FOUND, status: 200 },
  /** 2026-07-28: a removed or unknown method is HTTP 404 with -32601. */
  modern_method_not_found: { code: JSONRPC.METHOD_NOT_FOUND, status: 404 },
  invalid_envelope: { code: JSONRPC.INVALID_PARAMS, status: 400 },
  unsupported_version: { code: -32022, status: 400 },
  header_mismatch: { code: -32020, status: 400 },
  invalid_params: { code: JSONRPC.INVALID_PARAMS, status: 200 },
  list_unchecked: { code: JSONRPC.INTERNAL_ERROR, status: 200 },
  input_unavailable: { code: JSONRPC.INTERNAL_ERROR, status: 200 },
  upstream_unavailable: { code: JSONRPC.UPSTREAM_ERROR, status: 200 },
  upstream_timeout: { code: JSONRPC.REQUEST_TIMEOUT, status: 200 },
  unauthenticated: { code: JSONRPC.UPSTREAM_ERROR, status: 401 },
  foreign_origin: { code: JSONRPC.UPSTREAM_ERROR, status: 403 },
  not_acceptable: { code: JSONRPC.UPSTREAM_ERROR, status: 406 },
  unsupported_media_type: { code: JSONRPC.UPSTREAM_ERROR, status: 415 },
  bad_protocol_version: { code: JSONRPC.UPSTREAM_ERROR, status: 400 },
  server_not_served: { code: JSONRPC.METHOD_NOT_FOUND, status: 404 },
  no_session: { code: JSONRPC.INVALID_REQUEST, status: 400 },
  session_not_found: { code: JSONRPC.REQUEST_TIMEOUT, status: 404 },
  session_limit: { code: JSONRPC.UPSTREAM_ERROR, status: 503 },
  /** The session ended (DELETE, idle sweep) while a request of it waited for its answer. */
  session_closed: { code: JSONRPC.UPSTREAM_ERROR, status: 200 },
  /** Ends the POST of a request its client cancelled (the client ignores it, as it should). */
  request_cancelled: { code: JSONRPC.UPSTREAM_ERROR, status: 200 },
  upstream_start_failed: { code: JSONRPC.UPSTREAM_ERROR, status: 502 },
  http_method_not_allowed: { code: JSONRPC.METHOD_NOT_FOUND, status: 405 },
  internal: { code: JSONRPC.INTERNAL_ERROR, status: 500 },
} as const;

export type ErrorKind = keyof typeof ERRORS;

export function errorReply(
  kind: ErrorKind,
  id: JsonRpcId | null,
  message: string,
  data?: unknown,
): ErrorReply {
  return errorResponse(id, ERRORS[kind].code, message, data);
}

/** The replies a client session sends; the wording is what clients and operators match on. */
export const reply = {
  result: (id: JsonRpcId, result: Record<string, unknown>) => resultResponse(id, result),
  invalidRequest: (id: JsonRpcId, reason: string) =>
    errorReply("invalid_request", id, `Invalid request: ${reason}`),
  methodNotFound: (id: JsonRpcId, method: string) =>
    errorReply("method_not_found", id, `Method not found: ${method}`),
  invalidParams: (id: JsonRpcId, reason: string) =>
    errorReply("invalid_params", id, `Invalid params: ${reason}`),
  listUnchecked: (id: JsonRpcId) =>
    errorReply("list_unchecked", id, "The tool list could not be checked against the policy"),
  /** `failure` reads on from the server's name: "closed (…)" or "unavailable: …". */
  upstreamFailed: (id: JsonRpcId, server: string, failure: string) =>
    errorReply("upstream_unavailable", id, `Upstream server ${server} ${failure}`),
  cancelled: (id: JsonRpcId) => errorReply("request_cancelled", id, "Request cancelled"),
  sessionClosed: (id: JsonRpcId) =>
    errorReply("session_closed", id, "The session was closed before this request was answered"),
  timeout: (id: JsonRpcId, server: string, ms: number, decisionId: string) =>
    errorReply("upstream_timeout", id, `Upstream server ${server} did not answer within ${ms} ms`, {
      decisionId,
    }),
};
