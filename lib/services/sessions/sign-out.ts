import { and, eq } from "drizzle-orm";

import { sessions } from "@/db/schema";
import { appendAudit } from "../audit/append";
import { type ServiceContext, withTransaction } from "../context";

/** Ends one session of the signed-in user and audits user.sign_out. Unknown ids are a no-op. */
export function signOut(ctx: ServiceContext, sessionId: string): void {
  if (ctx.actor.type !== "user") return;
  const userId = ctx.actor.userId;
  withTransaction(ctx, (tx) => {
    const gone = tx
      .delete(sessions)
      .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId)))
      .returning({ id: sessions.id })
      .get();
    if (!gone) return;
    appendAudit(tx, ctx, {
      action: "user.sign_out",
      target: { type: "user", id: userId },
      extra: { sessionId },
    });
  });
}
