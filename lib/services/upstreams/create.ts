import { type Upstream, upstreams } from "@/db/schema";
import { conflict } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import { CreateUpstreamInput } from "@/lib/core/upstreams/inputs";
import { appendAudit } from "../audit/append";
import { bumpConfigVersion } from "../config-version";
import { requireAdmin, type ServiceContext, withTransaction } from "../context";
import { sealUpstreamSecrets } from "../secrets";
import { getUpstreamByName, upstreamSnapshot } from "./internal";

/**
 * Registers an MCP server behind /mcp/<name>. Admins only: a stdio command runs on the
 * gateway host, so it is an executable plus an argument array, never a shell line, and
 * loader hooks (LD_PRELOAD, NODE_OPTIONS, …) are refused. CONFLICT when the name is taken.
 * Env and header values are sealed (AES-256-GCM) before they are stored. Audits upstream.create
 * without env or header values.
 */
export function createUpstream(ctx: ServiceContext, raw: CreateUpstreamInput): Upstream {
  requireAdmin(ctx);
  const input = CreateUpstreamInput.parse(raw);
  return withTransaction(ctx, (tx) => {
    if (getUpstreamByName(tx, input.name)) {
      throw conflict(`A server named ${input.name} already exists`, { field: "name" });
    }
    const now = ctx.now();
    const id = newId("upstream");
    const secrets = sealUpstreamSecrets(tx, id, {
      env: input.env ?? {},
      headers: input.headers ?? {},
    });
    const row = tx
      .insert(upstreams)
      .values({
        id,
        name: input.name,
        description: input.description || null,
        transport: input.transport,
        command: input.command ?? null,
        args: input.args ?? [],
        env: secrets.env,
        cwd: input.cwd || null,
        url: input.url ?? null,
        headers: secrets.headers,
        timeoutMs: input.timeoutMs ?? 60_000,
        isolation: input.isolation ?? "shared",
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    bumpConfigVersion(tx, now);
    appendAudit(tx, ctx, {
      action: "upstream.create",
      target: { type: "upstream", id: row.id },
      server: row.name,
      after: upstreamSnapshot(row),
    });
    return row;
  });
}
