/**
 * Test building blocks for MCP protocol revision 2026-07-28 (stateless, per-request `_meta`):
 * the fixture server proxy/__tests__/fixtures/modern-server.mjs (2.x SDK), a 2.x SDK client pinned
 * to 2026-07-28, and raw POSTs with the standard 2026 headers and `_meta` envelope.
 *
 * The 2.x client, as used here:
 * - `versionNegotiation: { mode: { pin: "2026-07-28" } }` — connect() sends `server/discover`
 *   and adopts the modern era only; it never falls back to `initialize`.
 * - MRTR: an `input_required` result of tools/call, prompts/get or resources/read is fulfilled
 *   inside the call (ClientOptions `inputRequired.autoFulfill`, default true): the embedded
 *   `elicitation/create` goes to the handler registered with
 *   `client.setRequestHandler("elicitation/create", …)`, then the client retries the call on a
 *   new id with `inputResponses` and the byte-exact `requestState`. `callTool()` resolves with the
 *   final result; `onElicit` below registers that handler.
 * - Cacheable results (`tools/list`, `resources/read`, …) are cached by the client for the
 *   server's `ttlMs`; pass `{ cacheMode: "refresh" }` to the list call to force a round trip.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import {
  Client,
  type ClientCapabilities,
  type ElicitRequest,
  type ElicitResult,
  StreamableHTTPClientTransport,
} from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";

export const MODERN_PROTOCOL_VERSION = "2026-07-28";

const REPO_ROOT = path.resolve(import.meta.dirname, "..", "..");

/** The fixture's entry file: `node MODERN_SERVER_ENTRY` (HTTP, PORT env) or `… --stdio`. */
export const MODERN_SERVER_ENTRY = path.join(
  REPO_ROOT,
  "proxy",
  "__tests__",
  "fixtures",
  "modern-server.mjs",
);

export const META_PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion";
export const META_CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
export const META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo";

const CLIENT_INFO = { name: "portcullis-test", version: "0.0.0" };

export interface ModernServer {
  /** http://127.0.0.1:PORT/mcp */
  url: string;
  /** The RECORD_FILE lines so far (one object per `record` / `ask` call). */
  recorded(): unknown[];
  /** What the server wrote to stderr so far. */
  stderr(): string;
  /** Stops the server (SIGTERM) and removes its record file. Safe to call twice. */
  stop(): Promise<void>;
  child: ChildProcess;
  recordFile: string;
}

/**
 * Spawns the fixture over Streamable HTTP on 127.0.0.1 (a free port) and resolves once it listens.
 * `env` adds variables for the child (e.g. `LEGACY: "reject"` for a modern-only server).
 */
export async function startModernServer(
  options: { env?: Record<string, string> } = {},
): Promise<ModernServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-modern-"));
  const recordFile = path.join(dir, "record.jsonl");
  const child = spawn(process.execPath, [MODERN_SERVER_ENTRY], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? os.tmpdir(),
      NODE_ENV: "test",
      PORT: "0",
      RECORD_FILE: recordFile,
      ...options.env,
    } as NodeJS.ProcessEnv,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`modern-server did not start:\n${err}`));
    }, 15_000);
    child.stderr?.on("data", (c: Buffer) => {
      err += c.toString("utf8");
      const m = /listening on (http:\/\/[^\s]+)/.exec(err);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`modern-server exited with ${code}:\n${err}`));
    });
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return {
    url,
    child,
    recordFile,
    stderr: () => err,
    stop,
    recorded: () => readRecords(recordFile),
  };
}

/** The JSON lines of a RECORD_FILE, or [] when nothing was recorded yet. */
export function readRecords(file: string): unknown[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as unknown);
}

export interface ModernClientOptions {
  /**
   * Answers embedded `elicitation/create` input requests (MRTR). When given, the client declares
   * the `elicitation` capability (form mode) in every request's `_meta`.
   */
  onElicit?: (request: ElicitRequest) => ElicitResult | Promise<ElicitResult>;
  /** Extra client capabilities for the per-request `_meta`. */
  capabilities?: ClientCapabilities;
  /** Extra HTTP headers on every request. */
  headers?: Record<string, string>;
  /** `false` surfaces `input_required` to the caller instead of fulfilling it. */
  autoFulfill?: boolean;
  /** A fetch for the HTTP transport, e.g. one that records what the client sends. */
  fetch?: typeof fetch;
}

function modernClient(options: ModernClientOptions): Client {
  const capabilities: ClientCapabilities = {
    ...(options.onElicit ? { elicitation: {} } : {}),
    ...options.capabilities,
  };
  const client = new Client(CLIENT_INFO, {
    capabilities,
    versionNegotiation: { mode: { pin: MODERN_PROTOCOL_VERSION } },
    inputRequired: { autoFulfill: options.autoFulfill ?? true },
  });
  const onElicit = options.onElicit;
  if (onElicit) client.setRequestHandler("elicitation/create", async (req) => onElicit(req));
  return client;
}

/**
 * A 2.x SDK client speaking 2026-07-28 only over Streamable HTTP (pinned: connect() fails
 * instead of falling back to initialize), with `Authorization: Bearer <key>` when a key is given.
 */
export async function connectModern(
  url: string,
  key?: string,
  options: ModernClientOptions = {},
): Promise<Client> {
  const headers: Record<string, string> = { ...options.headers };
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const client = modernClient(options);
  await client.connect(transport);
  return client;
}

/** The same pinned 2.x client over stdio, spawning `command args` (stderr is collected). */
export async function connectModernStdio(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  options: ModernClientOptions = {},
): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command,
    args,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? os.tmpdir(),
      ...env,
    },
    stderr: "pipe",
  });
  let err = "";
  transport.stderr?.on("data", (c: Buffer) => {
    err += c.toString("utf8");
  });
  const client = modernClient(options);
  await client.connect(transport);
  return { client, stderr: () => err };
}

/** The per-request `_meta` envelope of 2026-07-28 (plus any extra keys, e.g. progressToken). */
export function modernMeta(
  extra: Record<string, unknown> = {},
  capabilities: ClientCapabilities = {},
): Record<string, unknown> {
  return {
    [META_PROTOCOL_VERSION]: MODERN_PROTOCOL_VERSION,
    [META_CLIENT_CAPABILITIES]: capabilities,
    [META_CLIENT_INFO]: CLIENT_INFO,
    ...extra,
  };
}

/** A header value as SEP-2243 sends it: plain visible ASCII, else `=?base64?…?=`. */
export function encodeMcpHeaderValue(value: string): string {
  const plain =
    /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value) &&
    !(value.startsWith("=?base64?") && value.endsWith("?="));
  return plain ? value : `=?base64?${Buffer.from(value, "utf8").toString("base64")}?=`;
}

type JsonRpcBody = { method?: unknown; params?: unknown; [k: string]: unknown };

/** The standard 2026 request headers for a JSON-RPC body (Mcp-Name only where the method has one). */
export function modernHeaders(body: JsonRpcBody): Record<string, string> {
  const params = (body.params ?? {}) as Record<string, unknown>;
  const meta = (params._meta ?? {}) as Record<string, unknown>;
  const version = meta[META_PROTOCOL_VERSION];
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": typeof version === "string" ? version : MODERN_PROTOCOL_VERSION,
  };
  if (typeof body.method === "string") {
    headers["mcp-method"] = body.method;
    const nameField =
      body.method === "tools/call" || body.method === "prompts/get"
        ? params.name
        : body.method === "resources/read"
          ? params.uri
          : undefined;
    if (typeof nameField === "string") headers["mcp-name"] = encodeMcpHeaderValue(nameField);
  }
  return headers;
}

export interface RawModernResponse {
  status: number;
  headers: Headers;
  contentType: string;
  text: string;
  /** Every JSON-RPC message in the body: one for a JSON body, each `data:` event for SSE. */
  messages: Record<string, unknown>[];
  /** The message that answers the request (has `result` or `error`), if any. */
  response:
    | {
        id?: unknown;
        result?: Record<string, unknown>;
        error?: { code: number; message: string; data?: unknown };
      }
    | undefined;
}

/**
 * POSTs one raw JSON-RPC message the way a 2026-07-28 client does: the `_meta` envelope is added
 * to `params._meta` (keys already there win; `meta: false` sends the body as is), and the standard
 * headers are derived from the final body. `headers` override them; a `null` value removes one.
 */
export async function rawModernPost(
  url: string,
  body: JsonRpcBody,
  headers: Record<string, string | null> = {},
  options: { meta?: boolean; capabilities?: ClientCapabilities; signal?: AbortSignal } = {},
): Promise<RawModernResponse> {
  let finalBody: JsonRpcBody = { jsonrpc: "2.0", ...body };
  if (options.meta !== false) {
    const params = (body.params ?? {}) as Record<string, unknown>;
    const meta = (params._meta ?? {}) as Record<string, unknown>;
    finalBody = {
      ...finalBody,
      params: { ...params, _meta: { ...modernMeta({}, options.capabilities), ...meta } },
    };
  }
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries(modernHeaders(finalBody))) merged[k.toLowerCase()] = v;
  for (const [k, v] of Object.entries(headers)) {
    if (v === null) delete merged[k.toLowerCase()];
    else merged[k.toLowerCase()] = v;
  }
  const res = await fetch(url, {
    method: "POST",
    headers: merged,
    body: JSON.stringify(finalBody),
    signal: options.signal,
  });
  const text = await res.text();
  const contentType = res.headers.get("content-type") ?? "";
  const messages = parseMessages(text, contentType);
  const response = messages.find((m) => "result" in m || "error" in m) as
    RawModernResponse["response"] | undefined;
  return { status: res.status, headers: res.headers, contentType, text, messages, response };
}

/** JSON-RPC messages of a response body: a JSON value (object or batch) or SSE `data:` events. */
export function parseMessages(text: string, contentType: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const push = (raw: string) => {
    if (raw.trim() === "") return;
    try {
      const v = JSON.parse(raw) as unknown;
      for (const m of Array.isArray(v) ? v : [v])
        if (m && typeof m === "object") out.push(m as Record<string, unknown>);
    } catch {
      // not JSON: left to the caller via `text`
    }
  };
  if (contentType.includes("text/event-stream")) {
    for (const event of text.split(/\r?\n\r?\n/)) {
      const data = event
        .split(/\r?\n/)
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).replace(/^ /, ""));
      if (data.length) push(data.join("\n"));
    }
  } else {
    push(text);
  }
  return out;
}
