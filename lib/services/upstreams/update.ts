import { eq } from "drizzle-orm";

import { type Upstream, upstreams } from "@/db/schema";
import { canonicalJson } from "@/lib/core/canonical-json";
import { AppError, invalid } from "@/lib/core/errors";
import { UpdateUpstreamInput } from "@/lib/core/upstreams/inputs";
import { launchChanges } from "@/lib/core/upstreams/launch";
import { appendAudit } from "../audit/append";
import { bumpConfigVersion } from "../config-version";
import { requireAdmin, type ServiceContext, withTransaction } from "../context";
import { openSecretMaps, sealUpstreamSecrets } from "../secrets";
import { requireFreshReauthUnlessSystem } from "../sessions/reauth";
import { getUpstreamOrThrow, upstreamSnapshot } from "./internal";

/**
 * Changes a server's launch or connection settings, or disables it (the gateway answers 404
 * for a disabled server from its next request). Admins only: the command runs on the gateway
 * host. The transport cannot change; a stdio field on an http server (or the reverse) is
 * refused. New env and header values are sealed before they are stored. Audits upstream.update
 * without env or header values. A change to what the server runs or where it connects needs the
 * session's fresh password confirmation (not the system actor's: the CLI runs on the host),
 * checked against the row as this transaction reads it.
 */
export function updateUpstream(
  ctx: ServiceContext,
  raw: UpdateUpstreamInput,
  sessionId?: string,
): Upstream {
  requireAdmin(ctx);
  const input = UpdateUpstreamInput.parse(raw);
  return withTransaction(ctx, (tx) => {
    const before = getUpstreamOrThrow(tx, input.upstreamId);
    if (before.transport === "stdio" && (input.url !== undefined || input.headers !== undefined)) {
      throw invalid("stdio servers have no URL or headers", { field: "url" });
    }
    if (
      before.transport === "http" &&
      (input.command !== undefined || input.args !== undefined || input.env !== undefined)
    ) {
      throw invalid("http servers have no command, arguments or environment", { field: "command" });
    }
    if (launchChanges(before, input).length > 0)
      requireFreshReauthUnlessSystem(
        ctx,
        tx,
        sessionId,
        "change what this server runs or where it connects",
      );
    const now = ctx.now();
    const sealed = sealUpstreamSecrets(tx, before.id, { env: input.env, headers: input.headers });
    const after = tx
      .update(upstreams)
      .set({
        description:
          input.description === undefined ? before.description : input.description || null,
        enabled: input.enabled ?? before.enabled,
        command: input.command ?? before.command,
        args: input.args ?? before.args,
        env: sealed.env ?? before.env,
        url: input.url ?? before.url,
        headers: sealed.headers ?? before.headers,
        timeoutMs: input.timeoutMs ?? before.timeoutMs,
        isolation: input.isolation ?? before.isolation,
        updatedAt: now,
      })
      .where(eq(upstreams.id, before.id))
      .returning()
      .get();
    if (!after) throw new AppError("INTERNAL", "Server disappeared during update");
    const stored =
      input.env !== undefined || input.headers !== undefined ? openSecretMaps(tx, before) : null;
    const envChanged =
      input.env !== undefined && canonicalJson(input.env) !== canonicalJson(stored?.env);
    const headersChanged =
      input.headers !== undefined &&
      canonicalJson(input.headers) !== canonicalJson(stored?.headers);
    // Values are never audited; these markers make a replaced secret a visible change.
    const marks = (state: string) => ({
      envValues: envChanged ? state : "kept",
      headerValues: headersChanged ? state : "kept",
    });
    const written = appendAudit(tx, ctx, {
      action: "upstream.update",
      target: { type: "upstream", id: after.id },
      server: after.name,
      before: { ...upstreamSnapshot(before), ...marks("previous") },
      after: { ...upstreamSnapshot(after), ...marks("replaced") },
    });
    if (written) bumpConfigVersion(tx, now);
    return after;
  });
}
