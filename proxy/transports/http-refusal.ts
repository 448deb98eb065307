import type { ServerResponse } from "node:http";

import type { RefusedMessage } from "@/lib/services/enforcement";
import type { ErrorReply, JsonRpcId } from "../jsonrpc";
import { ERRORS, type ErrorKind, errorReply } from "../replies";

export type RefusalAudit = Omit<RefusedMessage, "source" | "at">;

/** A request the gateway answers itself with an HTTP status and a JSON-RPC error body. */
export class HttpRefusal extends Error {
  readonly status: number;
  readonly body: ErrorReply;

  constructor(
    kind: ErrorKind,
    message: string,
    readonly audit: RefusalAudit | null,
    readonly headers: Record<string, string> = {},
    id: JsonRpcId | null = null,
    data?: unknown,
  ) {
    super(message);
    this.status = ERRORS[kind].status;
    this.body = errorReply(kind, id, message, data);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
