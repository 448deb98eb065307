import os from "node:os";
import path from "node:path";

import type { CliEnv } from "@/lib/env";
import { closeDatabase, startCheckpointer } from "@/lib/services/database";
import { DecisionBatcher, OutcomeWriter } from "@/lib/services/enforcement";
import { Enforcer } from "./enforcer";
import { resolveStdioIdentity } from "./identity";
import { ClientSession } from "./client-session";
import { type Message, peekId } from "./jsonrpc";
import { log } from "./log";
import { ProxyMetrics } from "./metrics";
import {
  DbPolicySource,
  FilePolicySource,
  KeyCheckedSource,
  PolicyFileError,
  type PolicySource,
} from "./policy-source";
import { errorReply } from "./replies";
import { CliError, openDatabase, registerInstance } from "./runtime";
import { readFrames } from "./transports/stdio";
import { StdioModernRequests } from "./transports/stdio-modern";
import { UpstreamConnection } from "./upstream/connection";
import { HttpLink, type LinkClosed, StdioChildLink, type UpstreamLink } from "./upstream/links";

export type RunOptions = {
  server?: string;
  policy?: string;
  name?: string;
  agentKey?: string;
  upstream?: string;
  header: string[];
  command: string[];
};

export function parseHeaders(values: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const v of values) {
    const at = v.indexOf(":");
    const name = at > 0 ? v.slice(0, at).trim() : "";
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name))
      throw new CliError(
        `--header must look like 'Name: value' (got a header without a valid name)`,
        2,
      );
    headers[name] = v.slice(at + 1).trim();
  }
  return headers;
}

const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function exitStatus(info: LinkClosed): number {
  if (typeof info.exitCode === "number") return info.exitCode;
  if (info.signal) return 128 + (os.constants.signals[info.signal] ?? 1);
  return 1;
}

/**
 * `portcullis run`: a stdio MCP server for the client that spawned it, enforcing policy on the
 * way to an upstream child (or a Streamable HTTP server). Resolves with the exit status.
 */
export async function runStdio(opts: RunOptions, env: CliEnv): Promise<number> {
  if (opts.server && opts.policy)
    throw new CliError("use either --server or --policy, not both", 2);
  if (!opts.server && !opts.policy)
    throw new CliError("say which policy applies: --server NAME or --policy FILE", 2);
  if (opts.upstream && opts.command.length > 0)
    throw new CliError("use either --upstream URL or a command after --, not both", 2);
  const headers = parseHeaders(opts.header);
  if (opts.upstream && !/^https?:\/\//i.test(opts.upstream))
    throw new CliError("--upstream must be an http(s) URL", 2);

  const db = openDatabase(env.PORTCULLIS_DB);
  const server =
    opts.server ?? opts.name ?? path.basename(opts.policy ?? "policy").replace(/\.(ya?ml)$/i, "");
  let policy: PolicySource;
  if (opts.policy) {
    try {
      policy = new FilePolicySource(path.resolve(opts.policy), db, server);
    } catch (err) {
      if (err instanceof PolicyFileError)
        throw new CliError(`policy ${opts.policy} is invalid:\n${err.message}`, 1);
      throw new CliError(`cannot read policy ${opts.policy}: ${(err as Error).message}`, 1);
    }
  } else {
    policy = new DbPolicySource(db, server, null);
    try {
      policy.current();
    } catch (err) {
      throw new CliError((err as Error).message, 1);
    }
  }
  const identity = resolveStdioIdentity(
    db,
    opts.agentKey ?? env.PORTCULLIS_AGENT_KEY,
    opts.policy ? { kind: "file" } : { kind: "server", server, policy },
  );
  if (!opts.policy) {
    policy = new DbPolicySource(db, server, identity.anonymous ? null : identity.agentId);
  }
  if (identity.keyId) policy = new KeyCheckedSource(policy, db, identity.keyId);

  let link: UpstreamLink;
  const configured = policy.current().upstream;
  if (opts.upstream) link = new HttpLink(opts.upstream, headers);
  else if (opts.command.length > 0) {
    const [command, ...args] = opts.command as [string, ...string[]];
    link = new StdioChildLink({ command, args });
  } else if (configured?.transport === "stdio" && configured.command) {
    link = new StdioChildLink({
      command: configured.command,
      args: configured.args,
      env: configured.env,
      cwd: configured.cwd,
    });
  } else if (configured?.transport === "http" && configured.url) {
    link = new HttpLink(configured.url, { ...configured.headers, ...headers });
  } else {
    throw new CliError("nothing to proxy: give the server command after --, or --upstream URL", 2);
  }
  const timeoutMs = configured?.timeoutMs ?? env.PORTCULLIS_UPSTREAM_TIMEOUT_MS;
  // A policy file's upstream row is read once, at start; a server's can change in the console.
  // (Asking the file source again would stat the file a second time for every call.)
  const callTimeoutMs = opts.policy
    ? () => timeoutMs
    : () => {
        try {
          return policy.current().upstream?.timeoutMs ?? timeoutMs;
        } catch {
          return timeoutMs;
        }
      };

  const metrics = new ProxyMetrics();
  const checkpointer = startCheckpointer(db);
  const outcomes = new OutcomeWriter(db, 50, (err) =>
    log.error(`could not write outcome rows: ${(err as Error).message}`),
  );
  const enforcer = new Enforcer({
    db,
    server,
    source: "stdio",
    identity,
    policy,
    outcomes,
    decisions: new DecisionBatcher(db),
    metrics,
    approvalWaitMs: env.PORTCULLIS_APPROVAL_WAIT_MS,
    ...(env.PORTCULLIS_AUDIT_HMAC_KEY ? { hmacKey: env.PORTCULLIS_AUDIT_HMAC_KEY } : {}),
  });

  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let shuttingDown = false;

  // A client that closed its end of the pipe (EPIPE) gets nothing more, and the proxy stops
  // cleanly, writing the outcomes it holds, instead of dying on an unhandled stream error.
  let clientGone = false;
  process.stdout.on("error", () => {
    clientGone = true;
    void shutdown(0);
  });
  const writeOut = (m: Message) => {
    if (!clientGone) process.stdout.write(`${JSON.stringify(m)}\n`);
  };
  const connection = new UpstreamConnection({ server, mode: "exclusive", createLink: () => link });
  const session = new ClientSession({
    key: "stdio",
    server,
    connection,
    enforcer,
    metrics,
    sendDown: (m) => writeOut(m),
    timeoutMs: callTimeoutMs,
  });
  const stateless = new StdioModernRequests({
    server,
    connection,
    enforcer,
    metrics,
    writeOut,
    timeoutMs: callTimeoutMs,
  });
  connection.onExit = () => void shutdown("child");

  const instance = registerInstance(db, { kind: "stdio", server, address: null });

  /** `"child"`: exit with the upstream child's status (it exited, or was signalled through us). */
  async function shutdown(code: number | "child"): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    process.stdin.pause();
    session.close();
    stateless.close();
    await connection.close();
    let status = code === "child" ? 1 : code;
    if (code === "child")
      status = link instanceof StdioChildLink ? exitStatus(await link.waitForExit()) : 1;
    outcomes.close();
    policy.close();
    instance.stop();
    await checkpointer.stop();
    try {
      closeDatabase(db);
    } catch {
      // already closed
    }
    if (!clientGone)
      await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
    finish(status);
  }

  for (const sig of SIGNALS) {
    process.on(sig, () => {
      if (link instanceof StdioChildLink && !connection.exited) {
        link.signal(sig);
        setTimeout(() => void shutdown("child"), 5_000).unref();
      } else void shutdown(128 + (os.constants.signals[sig] ?? 1));
    });
  }

  try {
    await connection.ready();
  } catch (err) {
    instance.stop();
    throw new CliError(`cannot start the upstream: ${(err as Error).message}`, 1);
  }
  log.info(`proxying ${link.description} as "${server}" for ${identity.label}`);

  const limits = {
    maxBytes: env.PORTCULLIS_MAX_BODY_BYTES,
    maxDepth: env.PORTCULLIS_MAX_JSON_DEPTH,
  };
  readFrames(process.stdin, limits, {
    onFrame: (frame, raw) => {
      if (frame.ok) {
        if (!stateless.take(frame.message, raw)) session.fromClient(frame.message, raw);
        return;
      }
      enforcer.refuse({ cause: frame.cause, reason: frame.reason }, raw);
      const kind = frame.cause === "batch" ? "batch" : "parse_error";
      writeOut(errorReply(kind, frame.id ?? peekId(raw), `Refused: ${frame.reason}`));
    },
    onOversize: (head) => {
      enforcer.refuse(
        { cause: "oversize", reason: `message exceeds ${limits.maxBytes} bytes` },
        head,
      );
      writeOut(
        errorReply("oversize", peekId(head), `Refused: message exceeds ${limits.maxBytes} bytes`),
      );
    },
    // The SDK's stdio server never notices stdin closing; a proxy must, or it outlives its client.
    // Requests already sent still get their answers before the upstream is stopped.
    onEnd: () =>
      void (async () => {
        const deadline = Date.now() + timeoutMs + 1_000;
        await session.drained(timeoutMs + 1_000);
        while (stateless.inFlight > 0 && !connection.exited && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 10));
        await shutdown(0);
      })(),
  });
  process.stdin.on("error", () => void shutdown(0));

  return finished;
}
