import { conflict } from "@/lib/core/errors";
import { appendAudit } from "../audit/append";
import { requireAdmin, type ServiceContext, withTransaction } from "../context";
import { clearAccount } from "../sessions/throttle";
import { getUserOrThrow } from "./internal";

/**
 * Clears an account's sign-in backoff so its next attempt is checked at once. Admins only.
 * Addresses keep their own count. CONFLICT when there was nothing to clear. Audits user.unlock.
 */
export function unlockUser(ctx: ServiceContext, userId: string): void {
  requireAdmin(ctx);
  withTransaction(ctx, (tx) => {
    const user = getUserOrThrow(tx, userId);
    if (!clearAccount(tx, user.email))
      throw conflict(`${user.email} has no failed sign-ins to clear`);
    appendAudit(tx, ctx, {
      action: "user.unlock",
      target: { type: "user", id: user.id },
      extra: { email: user.email },
    });
  });
}
