import { eq } from "drizzle-orm";

import type { Db } from "@/db/client";
import { type Session, sessions, type User, users } from "@/db/schema";
import { SESSION_IDLE_MS, SESSION_MAX_MS } from "@/lib/core/sessions/inputs";
import { hashSessionToken } from "./tokens";

export type ResolvedSession = { session: Session; user: User };

// Writing last_seen on every request would turn each page view into a write; a minute is
// precise enough for a 12-hour idle timeout.
const TOUCH_EVERY_MS = 60_000;

/**
 * The session and user behind a cookie token, or null when the token is unknown, expired, or
 * the user is disabled. Slides the idle expiry forward, never past the absolute maximum.
 * The role comes from the user row on every call, so a role change applies at once.
 */
export function resolveSession(db: Db, token: string, now: Date): ResolvedSession | null {
  if (!token || token.length > 200) return null;
  const row = db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.tokenHash, hashSessionToken(token)))
    .get();
  if (!row) return null;
  const nowMs = now.getTime();
  if (row.session.expiresAt.getTime() <= nowMs || row.user.disabledAt !== null) {
    db.delete(sessions).where(eq(sessions.id, row.session.id)).run();
    return null;
  }
  if (nowMs - row.session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    const expiresAt = new Date(
      Math.min(nowMs + SESSION_IDLE_MS, row.session.createdAt.getTime() + SESSION_MAX_MS),
    );
    db.update(sessions)
      .set({ lastSeenAt: now, expiresAt })
      .where(eq(sessions.id, row.session.id))
      .run();
    row.session = { ...row.session, lastSeenAt: now, expiresAt };
  }
  return row;
}
