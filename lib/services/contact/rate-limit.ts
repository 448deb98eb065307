import { and, asc, count, eq, gt, gte, lt, lte } from "drizzle-orm";

import type { Tx } from "@/db/client";
import { counterEvents } from "@/db/schema";
import { newCounterRowId } from "../counters";

export const CONTACT_RATE_LIMIT = { max: 5, windowMs: 10 * 60 * 1000 } as const;

export type RateLimitSpec = { max: number; windowMs: number };

export const contactCounterKey = (ip: string | undefined) => `contact:${ip || "unknown"}`;

/**
 * Admits one submission for `key` if fewer than `max` were admitted in the rolling window,
 * and records it. Must run inside an IMMEDIATE transaction so two requests cannot both see
 * the last free slot. Returns the seconds until a slot frees up when refused.
 */
export function admitContact(
  tx: Tx,
  key: string,
  now: Date,
  limit: RateLimitSpec = CONTACT_RATE_LIMIT,
): { admitted: true } | { admitted: false; retryAfterSeconds: number } {
  const t = now.getTime();
  const since = t - limit.windowMs;
  const inWindow = and(
    eq(counterEvents.key, key),
    gt(counterEvents.at, since),
    lte(counterEvents.at, t),
  );
  const used = tx.select({ n: count() }).from(counterEvents).where(inWindow).get()?.n ?? 0;
  if (used >= limit.max) {
    const oldest = tx
      .select({ at: counterEvents.at })
      .from(counterEvents)
      .where(inWindow)
      .orderBy(asc(counterEvents.at))
      .limit(1)
      .get();
    const freesAt = (oldest?.at ?? t) + limit.windowMs;
    return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil((freesAt - t) / 1000)) };
  }
  // Contact counters only ever matter for one window; drop the expired ones as we go.
  tx.delete(counterEvents)
    .where(
      and(
        gte(counterEvents.key, "contact:"),
        lt(counterEvents.key, "contact;"),
        lte(counterEvents.at, since),
      ),
    )
    .run();
  tx.insert(counterEvents).values({ key, at: t, id: newCounterRowId(), amount: "1" }).run();
  return { admitted: true };
}
