import { eq } from "drizzle-orm";

import type { Db, Tx } from "@/db/client";
import { type Upstream, upstreams } from "@/db/schema";
import { notFound } from "@/lib/core/errors";
import type { UpstreamView } from "@/lib/core/upstreams/views";

export function getUpstreamOrThrow(db: Db | Tx, id: string): Upstream {
  const row = db.select().from(upstreams).where(eq(upstreams.id, id)).get();
  if (!row) throw notFound("server", id);
  return row;
}

export function getUpstreamByName(db: Db | Tx, name: string): Upstream | undefined {
  return db.select().from(upstreams).where(eq(upstreams.name, name)).get();
}

/** Env and header values can be credentials: the audit log keeps only their names. */
export function upstreamSnapshot(u: Upstream): Record<string, unknown> {
  return {
    name: u.name,
    description: u.description,
    transport: u.transport,
    command: u.command,
    args: u.args,
    envNames: Object.keys(u.env).sort(),
    cwd: u.cwd,
    url: u.url,
    headerNames: Object.keys(u.headers).sort(),
    timeoutMs: u.timeoutMs,
    isolation: u.isolation,
    enabled: u.enabled,
  };
}

export function toUpstreamView(
  u: Upstream,
  activePolicyVersion: number | null = null,
): UpstreamView {
  return {
    id: u.id,
    name: u.name,
    description: u.description,
    transport: u.transport,
    command: u.command,
    args: u.args,
    envNames: Object.keys(u.env).sort(),
    url: u.url,
    headerNames: Object.keys(u.headers).sort(),
    timeoutMs: u.timeoutMs,
    isolation: u.isolation,
    enabled: u.enabled,
    activePolicyVersion,
    createdAt: u.createdAt.toISOString(),
  };
}
