import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";

import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

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
    this.description = [spec.command, ...spec.args].join(" ");
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

/** A Streamable HTTP connection to a remote MCP server (session id, server stream, DELETE on close). */
export class HttpLink implements UpstreamLink {
  readonly description: string;
  onmessage?: (message: Message) => void;
  onclose?: (info: LinkClosed) => void;
  private readonly transport: StreamableHTTPClientTransport;
  private closed = false;

  constructor(url: string, headers: Record<string, string>) {
    this.description = url;
    this.transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
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
