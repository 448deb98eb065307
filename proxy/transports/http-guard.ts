import type { IncomingMessage } from "node:http";

import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";

import type { Db } from "@/db/client";
import { AppError } from "@/lib/core/errors";
import {
  type CallIdentity,
  describeRawMessage,
  type RefusedMessage,
} from "@/lib/services/enforcement";
import { AgentKeyAuthenticator } from "@/lib/services/gateway";
import { checkParsed, classify, type JsonRpcId, jsonDepth, type Message, peekId } from "../jsonrpc";
import { HttpRefusal, type RefusalAudit } from "./http-refusal";

/** Who sent a request, for the audit row of its refusal. */
export type RequestParty = { server: string; actor: CallIdentity; remoteIp: string | null };

export type GuardOptions = {
  db: Db;
  allowedOrigins: readonly string[];
  allowedHosts: readonly string[];
  maxBodyBytes: number;
  maxJsonDepth: number;
  hmacKey?: string;
};

/**
 * What every request to the gateway passes before any MCP handling: Host and Origin (DNS
 * rebinding), the agent's bearer key, the body's size, depth and shape, and the transport's own
 * header rules. Each refusal is an HttpRefusal, audited by the caller when it says so.
 */
export class HttpGuard {
  private readonly keys: AgentKeyAuthenticator;

  constructor(private readonly o: GuardOptions) {
    this.keys = new AgentKeyAuthenticator(o.db);
  }

  /**
   * DNS rebinding: a page on another name that resolves to this address must not drive the
   * gateway. The Host must be loopback, the bind address or a configured name; a browser Origin
   * must be loopback or configured.
   */
  checkOrigin(req: IncomingMessage, server: string, remoteIp: string | null): void {
    const refuse = (reason: string, message: string, detail: Record<string, unknown>) =>
      new HttpRefusal("foreign_origin", `Forbidden: ${message}`, {
        cause: "unauthenticated",
        reason,
        server,
        actor: null,
        remoteIp,
        detail,
      });
    const host = req.headers.host ?? "";
    if (!this.o.allowedHosts.includes(hostName(host)))
      throw refuse("foreign Host", "this Host may not call the gateway", {
        host: host.slice(0, 200),
      });
    const origin = req.headers.origin;
    if (origin === undefined || this.o.allowedOrigins.includes(origin) || isLoopbackOrigin(origin))
      return;
    throw refuse("foreign Origin", "this Origin may not call the gateway", {
      origin: origin.slice(0, 200),
    });
  }

  authenticate(req: IncomingMessage, server: string, remoteIp: string | null): CallIdentity {
    const header = req.headers.authorization ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    try {
      if (!match?.[1])
        throw new AppError("UNAUTHENTICATED", "missing", {
          reason: header ? "malformed authorization header" : "no bearer token",
        });
      const { agent, key } = this.keys.authenticate(match[1], new Date());
      return { agentId: agent.id, keyId: key.id, label: agent.name };
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== "UNAUTHENTICATED") throw err;
      throw new HttpRefusal(
        "unauthenticated",
        "Unauthorized: a valid agent key is required (Authorization: Bearer <key>)",
        {
          cause: "unauthenticated",
          reason: String(err.details?.reason ?? "invalid key"),
          server,
          actor: null,
          remoteIp,
          detail: err.details?.keyId ? { keyId: err.details.keyId } : {},
        },
        { "www-authenticate": 'Bearer realm="portcullis"' },
      );
    }
  }

  async readBody(
    req: IncomingMessage,
    server: string,
    actor: CallIdentity,
    remoteIp: string | null,
  ): Promise<string> {
    const max = this.o.maxBodyBytes;
    const chunks: Buffer[] = [];
    const refusal = () =>
      new HttpRefusal(
        "oversize",
        `Refused: body exceeds ${max} bytes`,
        { cause: "oversize", reason: `body exceeds ${max} bytes`, server, actor, remoteIp },
        {},
        chunks[0] ? peekId(chunks[0].toString("utf8", 0, 4096)) : null,
      );
    if (Number(req.headers["content-length"] ?? "0") > max) {
      // One chunk is enough to read the id from; the rest is never read.
      const first = await new Promise<Buffer | null>((resolve) => {
        req.once("data", (chunk: Buffer) => {
          req.pause();
          resolve(chunk);
        });
        req.once("end", () => resolve(null));
        req.once("error", () => resolve(null));
      });
      if (first) chunks.push(first);
      throw refusal();
    }
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (chunks.length === 0) chunks.push(chunk);
      else if (size <= max) chunks.push(chunk);
      if (size > max) throw refusal();
    }
    return chunks.length === 1
      ? (chunks[0] as Buffer).toString("utf8")
      : Buffer.concat(chunks).toString("utf8");
  }

  parse(text: string, server: string, actor: CallIdentity, remoteIp: string | null): Message {
    const malformed = (
      cause: RefusedMessage["cause"],
      reason: string,
      kind: "parse_error" | "batch" | "invalid_request",
      id: JsonRpcId | null = peekId(text),
    ) =>
      new HttpRefusal(
        kind,
        `Refused: ${reason}`,
        {
          cause,
          reason,
          server,
          actor,
          remoteIp,
          detail: { message: describeRawMessage(text, this.o.hmacKey) },
        },
        {},
        id,
      );
    if (jsonDepth(text) > this.o.maxJsonDepth)
      throw malformed("malformed", `JSON nested deeper than ${this.o.maxJsonDepth}`, "parse_error");
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw malformed("malformed", "not valid JSON", "parse_error");
    }
    const frame = checkParsed(value);
    if (!frame.ok)
      throw malformed(
        frame.cause,
        frame.reason,
        frame.cause === "batch" ? "batch" : "parse_error",
        frame.id,
      );
    const c = classify(frame.message);
    if (c.kind === "invalid") throw malformed("malformed", c.reason, "invalid_request", c.id);
    return frame.message;
  }

  /** The transport rules of Streamable HTTP, checked before a session or an upstream is touched. */
  checkHeaders(req: IncomingMessage, id: JsonRpcId | null, party: RequestParty): void {
    this.checkMedia(req, id, party);
    const version = req.headers["mcp-protocol-version"];
    if (typeof version === "string" && !SUPPORTED_PROTOCOL_VERSIONS.includes(version))
      throw new HttpRefusal(
        "bad_protocol_version",
        `Bad Request: Unsupported protocol version ${version} (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")})`,
        transportAudit(party, "unsupported MCP-Protocol-Version header", {
          protocolVersion: version.slice(0, 64),
        }),
        {},
        id,
      );
  }

  checkMedia(req: IncomingMessage, id: JsonRpcId | null, party: RequestParty): void {
    const accept = String(req.headers.accept ?? "");
    const lower = accept.toLowerCase();
    if (!lower.includes("application/json") || !lower.includes("text/event-stream"))
      throw new HttpRefusal(
        "not_acceptable",
        "Not Acceptable: Client must accept both application/json and text/event-stream",
        transportAudit(party, "Accept lacks application/json or text/event-stream", {
          accept: accept.slice(0, 200),
        }),
        {},
        id,
      );
    const type = String(req.headers["content-type"] ?? "");
    if (!type.toLowerCase().startsWith("application/json"))
      throw new HttpRefusal(
        "unsupported_media_type",
        "Unsupported Media Type: Content-Type must be application/json",
        transportAudit(party, "Content-Type is not application/json", {
          contentType: type.slice(0, 200),
        }),
        {},
        id,
      );
  }

  /** A GET for the session's event stream must accept text/event-stream. */
  checkStreamAccept(req: IncomingMessage, party: RequestParty): void {
    const accept = String(req.headers.accept ?? "");
    if (!accept.toLowerCase().includes("text/event-stream"))
      throw new HttpRefusal(
        "not_acceptable",
        "Not Acceptable: Client must accept text/event-stream",
        transportAudit(party, "GET without Accept: text/event-stream", {
          accept: accept.slice(0, 200),
        }),
      );
  }
}

function transportAudit(
  party: RequestParty,
  reason: string,
  detail: Record<string, unknown>,
): RefusalAudit {
  return { cause: "transport", reason, ...party, detail };
}

/** The host name of a Host header, without its port, lower-cased. */
function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  return colon > 0 && h.indexOf(":") === colon ? h.slice(0, colon) : h;
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    const u = new URL(origin);
    return (
      (u.protocol === "http:" || u.protocol === "https:") &&
      ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname)
    );
  } catch {
    return false;
  }
}
