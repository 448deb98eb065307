import { and, eq, gt, lt, sql } from "drizzle-orm";

import type { Tx } from "@/db/client";
import { signInChallenges, users } from "@/db/schema";
import { AppError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import {
  CHALLENGE_MAX_ATTEMPTS,
  CHALLENGE_TTL_MS,
  SecondFactorInput,
} from "@/lib/core/sessions/inputs";
import { type ServiceContext, withTransaction } from "../context";
import { checkSecondFactor } from "../mfa/second-factor";
import { auditSignInRefusal, type OpenedSession, openSession } from "./open";
import { admitAttempt, settleSuccess, throttledError, throttleKeys } from "./throttle";
import { hashSessionToken, newSessionToken } from "./tokens";

/** A challenge for a user whose password was right; returns the token for the browser. */
export function createChallenge(tx: Tx, userId: string, now: Date): string {
  tx.delete(signInChallenges).where(lt(signInChallenges.expiresAt, now)).run();
  const token = newSessionToken();
  tx.insert(signInChallenges)
    .values({
      id: newId("challenge"),
      tokenHash: hashSessionToken(token),
      userId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS),
    })
    .run();
  return token;
}

const EXPIRED = "Your sign-in has expired. Enter your email and password again.";

/**
 * The second sign-in step: trades a challenge token and an authenticator (or recovery) code for
 * a session. Wrong codes are charged to the same backoff as wrong passwords; after
 * CHALLENGE_MAX_ATTEMPTS the challenge is gone and the password must be given again. Audits
 * user.sign_in (with the factor used) or user.sign_in_fail.
 */
export async function completeSecondFactor(
  ctx: ServiceContext,
  raw: { challengeToken?: string; code?: unknown },
): Promise<OpenedSession> {
  const code = SecondFactorInput.parse(raw.code);
  const tokenHash = hashSessionToken(raw.challengeToken ?? "");
  const gate = withTransaction(ctx, (tx) => {
    const now = ctx.now();
    const found = tx
      .select({ challenge: signInChallenges, user: users })
      .from(signInChallenges)
      .innerJoin(users, eq(users.id, signInChallenges.userId))
      .where(and(eq(signInChallenges.tokenHash, tokenHash), gt(signInChallenges.expiresAt, now)))
      .get();
    if (!found || found.user.disabledAt !== null) return { kind: "expired" } as const;
    const keys = throttleKeys(found.user.email, ctx.remoteIp ?? null);
    const blocked = admitAttempt(tx, keys, now);
    if (blocked) {
      auditSignInRefusal(tx, ctx, {
        userId: found.user.id,
        email: found.user.email,
        reason: "throttled",
        extra: { ...blocked, step: "code" },
      });
      return { kind: "blocked", blocked } as const;
    }
    return { kind: "go", ...found, keys } as const;
  });
  if (gate.kind === "expired") throw new AppError("UNAUTHENTICATED", EXPIRED, { restart: true });
  if (gate.kind === "blocked") throw throttledError(gate.blocked);
  const { challenge, user, keys } = gate;

  const factor = await checkSecondFactor(ctx, user, code);
  if (!factor) {
    const restart = withTransaction(ctx, (tx) => {
      const row = tx
        .update(signInChallenges)
        // Counted in SQL: a count read before the code was checked would lose parallel failures.
        .set({ attempts: sql`${signInChallenges.attempts} + 1` })
        .where(eq(signInChallenges.id, challenge.id))
        .returning()
        .get();
      const spent = !row || row.attempts >= CHALLENGE_MAX_ATTEMPTS;
      if (spent) tx.delete(signInChallenges).where(eq(signInChallenges.id, challenge.id)).run();
      auditSignInRefusal(tx, ctx, { userId: user.id, email: user.email, reason: "wrong code" });
      return spent;
    });
    throw new AppError(
      "UNAUTHENTICATED",
      restart ? `That code does not match. ${EXPIRED}` : "That code does not match",
      { restart },
    );
  }

  return withTransaction(ctx, (tx) => {
    const gone = tx
      .delete(signInChallenges)
      .where(eq(signInChallenges.id, challenge.id))
      .returning({ id: signInChallenges.id })
      .get();
    if (!gone) throw new AppError("UNAUTHENTICATED", EXPIRED, { restart: true });
    settleSuccess(tx, user.email, keys);
    return openSession(tx, ctx, user, { factor });
  });
}
