import { eq } from "drizzle-orm";

import type { Db, Tx } from "@/db/client";
import { type User, users } from "@/db/schema";
import { notFound } from "@/lib/core/errors";
import type { UserView } from "@/lib/core/users/views";
import { accountThrottle } from "../sessions/throttle";

export function toUserView(
  u: User,
  throttle: { failures: number; retryAfterSeconds: number } = { failures: 0, retryAfterSeconds: 0 },
): UserView {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    disabled: u.disabledAt !== null,
    lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
    createdAt: u.createdAt.toISOString(),
    mfaEnabled: u.totpEnabledAt !== null,
    failedSignIns: throttle.failures,
    signInDelaySeconds: throttle.retryAfterSeconds,
  };
}

/** What the audit log keeps about a user: never the password hash. */
export function userSnapshot(u: User): Record<string, unknown> {
  return { email: u.email, name: u.name, role: u.role, disabled: u.disabledAt !== null };
}

/** A user's view with their live sign-in backoff, for the users page. */
export function toUserViewWithThrottle(db: Db | Tx, u: User, now: Date): UserView {
  return toUserView(u, accountThrottle(db, u.email, now));
}

export function getUserOrThrow(db: Db | Tx, id: string): User {
  const row = db.select().from(users).where(eq(users.id, id)).get();
  if (!row) throw notFound("user", id);
  return row;
}
