import { eq } from "drizzle-orm";

import { type User, users } from "@/db/schema";
import { conflict } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import { CreateUserInput } from "@/lib/core/users/inputs";
import { appendAudit } from "../audit/append";
import { requireAdmin, type ServiceContext, withTransaction } from "../context";
import { requireFreshReauthUnlessSystem } from "../sessions/reauth";
import { userSnapshot } from "./internal";
import { hashPassword } from "./password";

/**
 * Creates a console user with an argon2id password hash. Admins (and the system) only. An editor
 * or admin account is more access for whoever holds its password, so an admin's session must
 * have confirmed their own password within REAUTH_FRESH_MS. Throws VALIDATION (short password,
 * bad email), FORBIDDEN with `details.reauth`, CONFLICT (email taken).
 */
export async function createUser(
  ctx: ServiceContext,
  raw: CreateUserInput,
  sessionId?: string,
): Promise<User> {
  requireAdmin(ctx);
  const input = CreateUserInput.parse(raw);
  if (input.role !== "viewer")
    requireFreshReauthUnlessSystem(ctx, ctx.db, sessionId, `add an ${input.role}`);
  const passwordHash = await hashPassword(input.password);
  return withTransaction(ctx, (tx) => {
    const taken = tx.select({ id: users.id }).from(users).where(eq(users.email, input.email)).get();
    if (taken)
      throw conflict(`A user with email ${input.email} already exists`, { field: "email" });
    const now = ctx.now();
    const row = tx
      .insert(users)
      .values({
        id: newId("user"),
        email: input.email,
        name: input.name,
        passwordHash,
        role: input.role,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    appendAudit(tx, ctx, {
      action: "user.create",
      target: { type: "user", id: row.id },
      after: userSnapshot(row),
    });
    return row;
  });
}
