import { eq } from "drizzle-orm";

import type { Db } from "@/db/client";
import { type Role, sessions, users } from "@/db/schema";

/**
 * The role of a session's user if the session is still valid, else null. Read-only: a long
 * open stream must not keep an idle session alive.
 */
export function liveSessionRole(db: Db, sessionId: string, now: Date): Role | null {
  const row = db
    .select({ expiresAt: sessions.expiresAt, role: users.role, disabledAt: users.disabledAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, sessionId))
    .get();
  if (!row || row.disabledAt !== null || row.expiresAt.getTime() <= now.getTime()) return null;
  return row.role;
}
