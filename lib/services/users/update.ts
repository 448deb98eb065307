import { and, eq, isNull, ne, sql } from "drizzle-orm";

import type { Tx } from "@/db/client";
import { type User, sessions, users } from "@/db/schema";
import { AppError, conflict } from "@/lib/core/errors";
import { UpdateUserInput } from "@/lib/core/users/inputs";
import { roleAtLeast } from "@/lib/core/users/role";
import { appendAudit } from "../audit/append";
import { requireAdmin, type ServiceContext, withTransaction } from "../context";
import { requireFreshReauthUnlessSystem } from "../sessions/reauth";
import { getUserOrThrow, userSnapshot } from "./internal";

/**
 * Changes a user's name, role or disabled state. Admins only. Disabling ends the user's
 * sessions at once; a role change applies on their next request. Refuses (CONFLICT) to demote
 * or disable the last active admin. A promotion or re-enabling gives someone more access, so it
 * needs the admin's password confirmed by this session within REAUTH_FRESH_MS (FORBIDDEN with
 * `details.reauth`). Audits user.disable or user.update with before/after.
 */
export function updateUser(ctx: ServiceContext, raw: UpdateUserInput, sessionId?: string): User {
  requireAdmin(ctx);
  const input = UpdateUserInput.parse(raw);
  return withTransaction(ctx, (tx) => {
    const before = getUserOrThrow(tx, input.id);
    const role = input.role ?? before.role;
    const disabled = input.disabled ?? before.disabledAt !== null;
    const wasActiveAdmin = before.role === "admin" && before.disabledAt === null;
    if (
      wasActiveAdmin &&
      (role !== "admin" || disabled) &&
      otherActiveAdmins(tx, before.id) === 0
    ) {
      throw conflict("You can't demote or disable the last admin");
    }
    const promoted = !roleAtLeast(before.role, role);
    const enabled = !disabled && before.disabledAt !== null;
    if (promoted || enabled)
      requireFreshReauthUnlessSystem(
        ctx,
        tx,
        sessionId,
        promoted ? `make ${before.email} an ${role}` : `enable ${before.email}`,
      );
    const now = ctx.now();
    const after = tx
      .update(users)
      .set({
        name: input.name ?? before.name,
        role,
        disabledAt: disabled ? (before.disabledAt ?? now) : null,
        updatedAt: now,
      })
      .where(eq(users.id, before.id))
      .returning()
      .get();
    if (!after) throw new AppError("INTERNAL", "User disappeared during update");
    if (disabled) tx.delete(sessions).where(eq(sessions.userId, after.id)).run();
    appendAudit(tx, ctx, {
      action: disabled && before.disabledAt === null ? "user.disable" : "user.update",
      target: { type: "user", id: after.id },
      before: userSnapshot(before),
      after: userSnapshot(after),
    });
    return after;
  });
}

function otherActiveAdmins(tx: Tx, exceptId: string): number {
  return (
    tx
      .select({ n: sql<number>`count(*)` })
      .from(users)
      .where(and(eq(users.role, "admin"), isNull(users.disabledAt), ne(users.id, exceptId)))
      .get()?.n ?? 0
  );
}
