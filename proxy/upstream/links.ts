import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";

import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";

import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";

import type { JsonRpcId, Message, Outbound } from "../jsonrpc";
import { log } from "../log";

export type LinkClosed = {
  reason: string;
  exitCode?: number | null;
  signal?: NodeJS.Signals | null;
};

/** One connection to one upstream MCP server, carrying raw JSON-RPC objects both ways. */
export interface UpstreamLink {
  readonly description: string;
  start(): Promise<void>;
  send(message: Outbound): Promise<void>;
  close(): Promise<void>;
  setProtocolVersion?(version: string): void;
  /** `related`: the upstream id of the request whose response stream carried the message. */
  onmessage?: (message: Message, related?: JsonRpcId) => void;
  onclose?: (info: LinkClosed) => void;
  /** Request `id` is answered with an event stream, or (`paused`) that stream was paused. */
  onstream?: (id: RequestId, paused?: { retryMs: number }) => void;
  /** Resumes the paused stream of request `id` now. */
  resume?(id: RequestId): boolean;
}

export type StdioSpec = {
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string | null;
};

/** The proxy's own settings (agent key, checkpoint and HMAC keys) never reach an upstream. */
export function childEnvironment(): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("PORTCULLIS_")),
  );
}

const MAX_LINE_BYTES = 64 * 1024 * 1024;
const TERM_GRACE_MS = 2_000;

// Kills the child's process group once the proxy's end of its stdin closes, which happens
// however the proxy dies (kill -9 included): no upstream outlives its proxy.
const WATCHDOG =
  'read -r _; kill -TERM -- "-$0" 2>/dev/null; sleep 2; kill -KILL -- "-$0" 2>/dev/null; exit 0';

/**
 * Spawns an upstream as a child in its own process group (argument array, never a shell) and
 * frames its stdout as newline-delimited JSON-RPC. Signals go to the whole group, so servers
 * started through wrappers (npx, sh) do not leave grandchildren behind.
 */
export class StdioChildLink implements UpstreamLink {
  readonly description: string;
  onmessage?: (message: Message) => void;
  onclose?: (info: LinkClosed) => void;
  private child: ChildProcess | null = null;
  private watchdog: ChildProcess | null = null;
  private exited: Promise<LinkClosed> | null = null;
  private closing = false;

  constructor(private readonly spec: StdioSpec) {
    // Logged and audited: arguments after the first may carry a token, so they are counted only.
    const [first, ...rest] = spec.args;
    this.description = [spec.command, ...(first === undefined ? [] : [first])].join(" ");
    if (rest.length)
      this.description += ` (+${rest.length} argument${rest.length === 1 ? "" : "s"})`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<void> {
    const { command, args, env, cwd } = this.spec;
    const child = spawn(command, args, {
      stdio: ["pipe", "pipe", "inherit"],
      detached: true,
      cwd: cwd ?? undefined,
      env: { ...childEnvironment(), ...env } as NodeJS.ProcessEnv,
    });
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once("error", (err) =>
        resolve({ reason: `could not start ${command}: ${err.message}`, exitCode: 127 }),
      );
      child.once("exit", (code, signal) =>
        resolve({
          reason: signal ? `exited on ${signal}` : `exited with status ${code}`,
          exitCode: code,
          signal,
        }),
      );
    });
    void this.exited.then((info) => {
      this.watchdog?.stdin?.end();
      this.onclose?.(info);
    });
    child.stdin?.on("error", () => {});
    let buffered = "";
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl).replace(/\r$/, "");
        buffered = buffered.slice(nl + 1);
        if (line.trim()) this.deliver(line);
      }
      if (buffered.length > MAX_LINE_BYTES) {
        log.warn(`upstream ${this.description} wrote an over-long line; stopping it`);
        buffered = "";
        void this.close();
      }
    });
    return new Promise((resolve, reject) => {
      child.once("spawn", () => {
        if (child.pid) this.startWatchdog(child.pid);
        resolve();
      });
      child.once("error", (err) => reject(new Error(`could not start ${command}: ${err.message}`)));
    });
  }

  private startWatchdog(pgid: number): void {
    try {
      const dog = spawn("/bin/sh", ["-c", WATCHDOG, String(pgid)], {
        stdio: ["pipe", "ignore", "ignore"],
        detached: true,
      });
      dog.on("error", () => {});
      dog.stdin?.on("error", () => {});
      dog.unref();
      this.watchdog = dog;
    } catch {
      this.watchdog = null;
    }
  }

  private deliver(line: string): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      log.warn(`upstream ${this.description} wrote a line that is not JSON; dropped`);
      return;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      log.warn(`upstream ${this.description} wrote a non-object message; dropped`);
      return;
    }
    this.onmessage?.(value as Message);
  }

  send(message: Outbound): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed || !stdin.writable)
      return Promise.reject(new Error("upstream is not running"));
    return new Promise((resolve, reject) => {
      stdin.write(`${JSON.stringify(message)}\n`, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Sends a signal to the child's whole process group. */
  signal(sig: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (!pid || this.child?.exitCode !== null || this.child?.signalCode) return;
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        this.child?.kill(sig);
      } catch {
        // already gone
      }
    }
  }

  /** Ends stdin, then SIGTERM, then SIGKILL; resolves once the child has exited. */
  async close(): Promise<void> {
    if (!this.child || !this.exited) return;
    if (!this.closing) {
      this.closing = true;
      this.child.stdin?.end();
      const exited = this.exited;
      const timeout = (ms: number) => delay(ms, "timeout" as const, { ref: false });
      if ((await Promise.race([exited, timeout(300)])) === "timeout") {
        this.signal("SIGTERM");
        if ((await Promise.race([exited, timeout(TERM_GRACE_MS)])) === "timeout")
          this.signal("SIGKILL");
      }
    }
    await this.exited;
  }

  waitForExit(): Promise<LinkClosed> {
    return this.exited ?? Promise.resolve({ reason: "not started", exitCode: null });
  }
}

/**
 * A Streamable HTTP connection to a remote MCP server (session id, server stream, DELETE on
 * close), over the SDK's client transport.
 *
 * A request's response stream is resumed by the link itself: when the server closes the
 * connection before the answer, after an event with an id (2025-11-25 "SSE polling", or a
 * dropped connection), the link waits the server's `retry` (or a second), reconnects with GET
 * and `Last-Event-ID`, and reads on, each time the server pauses. The transport sees one
 * stream that ends with the answer. `onstream` tells when an answer turns into a stream and
 * when the server paused it; `resume` cuts the wait short (the gateway's own client came back
 * for the stream it had paused in turn).
 */
export class HttpLink implements UpstreamLink {
  readonly description: string;
  onmessage?: (message: Message) => void;
  onclose?: (info: LinkClosed) => void;
  /**
   * Request `id` (the link's own id) is answered with an event stream; with `paused`, the server
   * closed that stream before answering and the link resumes it in `paused.retryMs`.
   */
  onstream?: (id: RequestId, paused?: { retryMs: number }) => void;
  private readonly transport: StreamableHTTPClientTransport;
  /** Paused streams, by request id: each entry resumes its stream now. */
  private readonly paused = new Map<RequestId, () => void>();
  private closed = false;

  constructor(url: string, headers: Record<string, string>) {
    this.description = describeUrl(url);
    this.transport = new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers },
      fetch: (input, init) => this.fetch(input, init),
    });
    this.transport.onmessage = (m) => this.onmessage?.(m as unknown as Message);
    this.transport.onerror = (err) => log.warn(`upstream ${url}: ${err.message}`);
    this.transport.onclose = () => {
      if (this.closed) return;
      this.closed = true;
      this.onclose?.({ reason: "connection closed" });
    };
  }

  get sessionId(): string | undefined {
    return this.transport.sessionId;
  }

  start(): Promise<void> {
    return this.transport.start();
  }

  send(message: Outbound): Promise<void> {
    return this.transport.send(message as unknown as JSONRPCMessage);
  }

  setProtocolVersion(version: string): void {
    this.transport.setProtocolVersion(version);
  }

  /** Resumes the paused stream of request `id` now; false when it is not paused. */
  resume(id: RequestId): boolean {
    const wake = this.paused.get(id);
    wake?.();
    return wake !== undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.transport.sessionId) await this.transport.terminateSession();
    } catch (err) {
      log.debug(
        `upstream ${this.description}: session termination failed: ${(err as Error).message}`,
      );
    }
    this.closed = true;
    await this.transport.close();
    this.onclose?.({ reason: "closed by the proxy" });
  }

  /** The transport's fetch: a POSTed request answered with an event stream gets a resuming body. */
  private async fetch(input: string | URL, init?: RequestInit): Promise<Response> {
    const response = await fetch(input, init);
    if (init?.method !== "POST" || !response.ok || !response.body || !isEventStream(response))
      return response;
    const id = postedRequestId(init.body);
    if (id === undefined) return response;
    this.onstream?.(id);
    const body = resumingBody(response.body, {
      url: input,
      init,
      id,
      onpause: (retryMs) => this.onstream?.(id, { retryMs }),
      park: (wake) => (wake ? this.paused.set(id, wake) : this.paused.delete(id)),
      describe: this.description,
    });
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }
}

/** How long to wait before resuming a stream whose server named no `retry`. */
const RESUME_DEFAULT_MS = 1_000;
/** Reconnections of one paused stream that fail (network, 5xx) before its call is given up. */
const RESUME_ATTEMPTS = 3;

type ResumeContext = {
  url: string | URL;
  /** The POST's request: its headers (session, protocol version, credentials) and abort signal. */
  init: RequestInit;
  id: RequestId;
  onpause: (retryMs: number) => void;
  /** Registers (or, with null, removes) what resumes the stream early. */
  park: (wake: (() => void) | null) => void;
  describe: string;
};

function isEventStream(response: Response): boolean {
  return (response.headers.get("content-type") ?? "").toLowerCase().startsWith("text/event-stream");
}

function postedRequestId(body: unknown): RequestId | undefined {
  if (typeof body !== "string") return undefined;
  try {
    const m = JSON.parse(body) as { method?: unknown; id?: unknown } | null;
    if (!m || typeof m !== "object" || Array.isArray(m) || typeof m.method !== "string")
      return undefined;
    return typeof m.id === "string" || typeof m.id === "number" ? m.id : undefined;
  } catch {
    return undefined;
  }
}

/** Whether an event's data is the answer to request `id`. */
function answers(data: string, id: RequestId): boolean {
  if (!data.includes('"result"') && !data.includes('"error"')) return false;
  try {
    const m = JSON.parse(data) as Record<string, unknown> | null;
    return (
      !!m &&
      typeof m === "object" &&
      !("method" in m) &&
      m.id === id &&
      ("result" in m || "error" in m)
    );
  } catch {
    return false;
  }
}

/**
 * One request's response stream, stitched across reconnections. Only whole events with data
 * are passed on, without their `id` and `retry` fields: the link keeps the cursor, so the
 * transport never tries a reconnection of its own (which it would also do after an error
 * answer, the SDK counting only results as answers).
 */
function resumingBody(
  first: ReadableStream<Uint8Array>,
  c: ResumeContext,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const signal = c.init.signal ?? undefined;
  let reader = first.getReader();
  let decoder = new TextDecoder();
  let buffer = "";
  let lines: string[] = [];
  let data: string[] = [];
  let eventId: string | undefined;
  let lastId: string | undefined;
  let retryMs: number | undefined;
  let answered = false;
  let cancelled = false;
  let wakeUp: (() => void) | null = null;

  const field = (line: string): void => {
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "id") {
      if (!value.includes("\0")) eventId = value;
    } else if (name === "retry") {
      if (/^\d+$/.test(value)) retryMs = Number(value);
    } else {
      if (name === "data") data.push(value);
      lines.push(line);
    }
  };

  // A complete event: its id becomes the cursor; it is passed on when it has data.
  const dispatch = (): string => {
    if (eventId !== undefined) lastId = eventId;
    const text = data.length > 0 ? `${lines.join("\n")}\n\n` : "";
    if (data.length > 0 && answers(data.join("\n"), c.id)) answered = true;
    lines = [];
    data = [];
    eventId = undefined;
    return text;
  };

  const parse = (text: string): string => {
    buffer += text;
    let out = "";
    let start = 0;
    for (;;) {
      const lf = buffer.indexOf("\n", start);
      const cr = buffer.indexOf("\r", start);
      let end: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        if (cr === buffer.length - 1) break; // a CR LF may be split across reads
        end = cr;
        next = buffer[cr + 1] === "\n" ? cr + 2 : cr + 1;
      } else if (lf >= 0) {
        end = lf;
        next = lf + 1;
      } else break;
      const line = buffer.slice(start, end);
      start = next;
      if (line === "") out += dispatch();
      else field(line);
    }
    buffer = buffer.slice(start);
    return out;
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        c.park(null);
        wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
      c.park(done);
      wakeUp = done;
    });

  const reconnect = async (cursor: string): Promise<ReadableStream<Uint8Array> | null> => {
    let wait = retryMs ?? RESUME_DEFAULT_MS;
    for (let attempt = 1; ; attempt++) {
      const waited = sleep(wait);
      if (attempt === 1) c.onpause(wait);
      await waited;
      if (cancelled || signal?.aborted) return null;
      const headers = new Headers(c.init.headers);
      headers.delete("content-type");
      headers.set("accept", "text/event-stream");
      headers.set("last-event-id", cursor);
      let why: string;
      try {
        const res = await fetch(c.url, { method: "GET", headers, signal, redirect: "manual" });
        if (res.ok && res.body && isEventStream(res)) return res.body;
        await res.body?.cancel().catch(() => {});
        why = `HTTP ${res.status}`;
        if (res.status < 500) attempt = RESUME_ATTEMPTS;
      } catch (err) {
        if (signal?.aborted) return null;
        why = (err as Error).message;
      }
      if (attempt >= RESUME_ATTEMPTS) {
        log.warn(`upstream ${c.describe}: could not resume the stream of request ${c.id}: ${why}`);
        return null;
      }
      wait = Math.min(wait * 2, 30_000);
    }
  };

  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch {
          chunk = { done: true, value: undefined };
        }
        if (!chunk.done) {
          const out = parse(decoder.decode(chunk.value, { stream: true }));
          if (out) {
            controller.enqueue(encoder.encode(out));
            return;
          }
          continue;
        }
        // The connection ended: with the answer, or unresumable, that is the end of the stream.
        const cursor = lastId;
        const next =
          answered || cancelled || cursor === undefined || signal?.aborted
            ? null
            : await reconnect(cursor);
        if (!next) {
          controller.close();
          return;
        }
        reader = next.getReader();
        decoder = new TextDecoder();
        buffer = "";
        lines = [];
        data = [];
        eventId = undefined;
      }
    },
    cancel: async (reason) => {
      cancelled = true;
      wakeUp?.();
      await reader.cancel(reason).catch(() => {});
    },
  });
}

/** Any SDK transport as an upstream link: tests put the SDK's in-memory transport here. */
export function transportLink(transport: Transport, description = "in-memory"): UpstreamLink {
  const link: UpstreamLink = {
    description,
    start: () => transport.start(),
    send: (message) => transport.send(message as unknown as JSONRPCMessage),
    close: () => transport.close(),
  };
  transport.onmessage = (m) => link.onmessage?.(m as unknown as Message);
  transport.onclose = () => link.onclose?.({ reason: "connection closed" });
  return link;
}

/** A URL as logs and audit rows show it: no user, password, query or fragment (they may carry a token). */
export function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}
