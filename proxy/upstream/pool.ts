import { createHash } from "node:crypto";

import type { Upstream } from "@/db/schema";
import { canonicalJson } from "@/lib/core/canonical-json";
import { UpstreamConnection, type LifecycleEvent } from "./connection";
import { HttpLink, StdioChildLink, type UpstreamLink } from "./links";
import { ModernHttpLink, speaksModern } from "./modern-link";

export type PoolOptions = {
  /** A shared upstream with no traffic for this long is stopped; the next request starts it. */
  idleMs: number;
  onLifecycle?: (upstream: Upstream, event: LifecycleEvent) => void;
  /** Replaces how links are made (tests put in-memory servers here). */
  linkFor?: (upstream: Upstream) => UpstreamLink;
};

/** The link an upstream row describes; stdio servers are spawned with an argument array. */
export function linkFor(upstream: Upstream): UpstreamLink {
  if (upstream.transport === "http" && upstream.url)
    return new HttpLink(upstream.url, upstream.headers);
  if (upstream.transport === "stdio" && upstream.command) {
    return new StdioChildLink({
      command: upstream.command,
      args: upstream.args,
      env: upstream.env,
      cwd: upstream.cwd,
    });
  }
  throw new Error(`server ${upstream.name} has no usable ${upstream.transport} configuration`);
}

/**
 * The gateway's upstream connections: one shared connection per server (the default), or a
 * fresh exclusive one per client session for servers configured with `isolation: session`.
 * A server whose configuration changed gets a new shared connection; the old one stops once
 * its last session has gone.
 */
export class UpstreamPool {
  private readonly shared = new Map<string, UpstreamConnection>();
  private readonly exclusive = new Set<UpstreamConnection>();

  constructor(private readonly o: PoolOptions) {}

  connectionFor(upstream: Upstream): UpstreamConnection {
    const make = this.o.linkFor ?? linkFor;
    if (upstream.isolation === "session") {
      const connection = new UpstreamConnection({
        server: upstream.name,
        mode: "exclusive",
        createLink: () => make(upstream),
      });
      this.exclusive.add(connection);
      return connection;
    }
    return this.sharedFor(upstream);
  }

  /**
   * The server's shared connection, whatever its isolation (stateless requests have no session).
   * An HTTP server gets one per revision its clients prefer, so a server that speaks both serves
   * session-based clients over a session and stateless clients statelessly; a stdio server is
   * always driven with a session, over one process.
   */
  sharedFor(upstream: Upstream, prefer: "legacy" | "modern" = "legacy"): UpstreamConnection {
    const make = this.o.linkFor ?? linkFor;
    const { url, headers } = upstream;
    const http = upstream.transport === "http" && url && !this.o.linkFor;
    const launch = `${upstream.id}@${launchFingerprint(upstream)}`;
    const key = http ? `${launch}#${prefer}` : launch;
    let connection = this.shared.get(key);
    if (!connection) {
      for (const [k, old] of this.shared) {
        if (!k.startsWith(`${upstream.id}@`) || k.startsWith(launch)) continue;
        this.shared.delete(k);
        if (old.sessions === 0) void old.close();
      }
      connection = new UpstreamConnection({
        server: upstream.name,
        mode: "shared",
        createLink: () => make(upstream),
        ...(http
          ? {
              modern: {
                prefer,
                probe: () => speaksModern(url, headers),
                createLink: () => new ModernHttpLink(url, headers),
              },
            }
          : {}),
        idleMs: this.o.idleMs,
        onLifecycle: (event) => this.o.onLifecycle?.(upstream, event),
      });
      this.shared.set(key, connection);
    }
    return connection;
  }

  /** Releases a session's exclusive connection (shared ones outlive their sessions). */
  async release(connection: UpstreamConnection): Promise<void> {
    if (connection.mode === "shared") return;
    this.exclusive.delete(connection);
    await connection.close();
  }

  /** Running upstream processes or connections. */
  get running(): number {
    let n = 0;
    for (const c of this.shared.values()) if (c.running) n += 1;
    for (const c of this.exclusive) if (c.running) n += 1;
    return n;
  }

  async close(): Promise<void> {
    const all = [...this.shared.values(), ...this.exclusive];
    this.shared.clear();
    this.exclusive.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}

/** What starting the upstream depends on: a change means a new process for new sessions. */
function launchFingerprint(u: Upstream): string {
  const launch = [u.transport, u.command, u.args, u.env, u.cwd, u.url, u.headers];
  return createHash("sha256").update(canonicalJson(launch)).digest("hex").slice(0, 16);
}
