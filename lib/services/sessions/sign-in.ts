import { eq } from "drizzle-orm";

import { type User, users } from "@/db/schema";
import { AppError } from "@/lib/core/errors";
import { SignInInput } from "@/lib/core/sessions/inputs";
import { appendAudit } from "../audit/append";
import { type ServiceContext, withTransaction } from "../context";
import { burnPasswordCheck, verifyPassword } from "../users/password";
import { createChallenge } from "./challenge";
import { auditSignInRefusal, type OpenedSession, openSession } from "./open";
import {
  admitAttempt,
  pruneThrottle,
  refund,
  settleSuccess,
  throttledError,
  throttleKeys,
} from "./throttle";

export type SignInResult =
  | ({ status: "signed_in" } & OpenedSession)
  | { status: "second_factor"; challengeToken: string; user: User };

const WRONG = "Email or password is incorrect";

/**
 * Checks an email and password. Backoff per account and per address (lib/core/sessions/backoff):
 * while a delay is running the attempt is refused at once with RATE_LIMITED and
 * `retryAfterSeconds`, without looking at the password, and audited; otherwise the failure is
 * charged before the password is checked (parallel guesses wait too) and given back when it
 * was right. Wrong email, wrong password and disabled account answer the same UNAUTHENTICATED
 * message. A user with two-factor gets a challenge token to trade with a code
 * (completeSecondFactor); anyone else gets a session. Audits user.sign_in / user.sign_in_fail.
 */
export async function signIn(ctx: ServiceContext, raw: SignInInput): Promise<SignInResult> {
  const input = SignInInput.parse(raw);
  const keys = throttleKeys(input.email, ctx.remoteIp ?? null);
  const gate = withTransaction(ctx, (tx) => {
    const now = ctx.now();
    pruneThrottle(tx, now);
    const found = tx.select().from(users).where(eq(users.email, input.email)).get();
    const blocked = admitAttempt(tx, keys, now);
    if (blocked) {
      auditSignInRefusal(tx, ctx, {
        userId: found?.id ?? null,
        email: input.email,
        reason: "throttled",
        extra: { ...blocked },
      });
      return { kind: "blocked", blocked } as const;
    }
    return { kind: "go", user: found } as const;
  });
  if (gate.kind === "blocked") throw throttledError(gate.blocked);
  const { user } = gate;

  const ok = user
    ? await verifyPassword(user.passwordHash, input.password)
    : (await burnPasswordCheck(input.password), false);
  if (!user || !ok || user.disabledAt !== null) {
    withTransaction(ctx, (tx) =>
      auditSignInRefusal(tx, ctx, {
        userId: user?.id ?? null,
        email: input.email,
        reason: !user ? "unknown email" : !ok ? "wrong password" : "account disabled",
      }),
    );
    throw new AppError("UNAUTHENTICATED", WRONG);
  }

  return withTransaction(ctx, (tx): SignInResult => {
    if (user.totpEnabledAt) {
      // The password was right, but the account stays charged until the code is too.
      refund(tx, keys);
      const challengeToken = createChallenge(tx, user.id, ctx.now());
      appendAudit(tx, ctx, {
        action: "user.sign_in_challenge",
        target: { type: "user", id: user.id },
        extra: { email: user.email },
      });
      return { status: "second_factor", challengeToken, user };
    }
    settleSuccess(tx, input.email, keys);
    return { status: "signed_in", ...openSession(tx, ctx, user) };
  });
}
