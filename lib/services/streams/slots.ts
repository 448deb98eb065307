import { AppError } from "@/lib/core/errors";
import { appendAudit } from "../audit/append";
import { type ServiceContext, withTransaction } from "../context";

/** Live streams one console user may hold open at once (tabs, windows, scripts). */
export const MAX_STREAMS_PER_USER = 8;

/**
 * Admits one more live stream for the signed-in user, who holds `open` already. Each stream
 * holds a connection and a share of the poller for as long as it lives, so a single session (a
 * stolen one, or a runaway script) must not open them without limit. Over the limit: audits
 * stream.refuse and throws RATE_LIMITED.
 */
export function admitStream(
  ctx: ServiceContext,
  open: number,
  limit: number = MAX_STREAMS_PER_USER,
): void {
  if (ctx.actor.type !== "user") throw new AppError("UNAUTHENTICATED", "Sign in first");
  if (open < limit) return;
  const userId = ctx.actor.userId;
  withTransaction(ctx, (tx) =>
    appendAudit(tx, ctx, {
      action: "stream.refuse",
      target: { type: "user", id: userId },
      reason: "too many live streams",
      extra: { open, limit },
    }),
  );
  throw new AppError(
    "RATE_LIMITED",
    `You have ${open} live views open, the most allowed; close a tab and they resume`,
    { retryAfterSeconds: 15, limit },
  );
}
