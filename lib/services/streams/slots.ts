import { AppError } from "@/lib/core/errors";
import { appendAudit } from "../audit/append";
import { type ServiceContext, withTransaction } from "../context";

/** Live streams one console user may hold open at once (tabs, windows, scripts). */
export const MAX_STREAMS_PER_USER = 8;

/**
 * Open live streams per user in this process. Each stream holds a connection and a share of
 * the poller for as long as it lives, so a single session (a stolen one, or a runaway script)
 * must not be able to open them without limit.
 */
export class StreamSlots {
  private readonly open = new Map<string, number>();

  constructor(readonly limit = MAX_STREAMS_PER_USER) {}

  /**
   * Takes a slot for the signed-in user and returns its release function (safe to call more
   * than once). Over the limit: audits stream.refuse and throws RATE_LIMITED.
   */
  acquire(ctx: ServiceContext): () => void {
    if (ctx.actor.type !== "user") throw new AppError("UNAUTHENTICATED", "Sign in first");
    const userId = ctx.actor.userId;
    const held = this.open.get(userId) ?? 0;
    if (held >= this.limit) {
      withTransaction(ctx, (tx) =>
        appendAudit(tx, ctx, {
          action: "stream.refuse",
          target: { type: "user", id: userId },
          reason: "too many live streams",
          extra: { open: held, limit: this.limit },
        }),
      );
      throw new AppError(
        "RATE_LIMITED",
        `You have ${held} live views open, the most allowed; close a tab and they resume`,
        { retryAfterSeconds: 15, limit: this.limit },
      );
    }
    this.open.set(userId, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(userId) ?? 1) - 1;
      if (left <= 0) this.open.delete(userId);
      else this.open.set(userId, left);
    };
  }

  held(userId: string): number {
    return this.open.get(userId) ?? 0;
  }
}
