import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { auditEvents, sessions, signInThrottle } from "@/db/schema";
import {
  ACCOUNT_BACKOFF,
  ADDRESS_BACKOFF,
  BACKOFF_DECAY_MS,
  backoffDelayMs,
} from "@/lib/core/sessions/backoff";
import type { AppError } from "@/lib/core/errors";
import type { ServiceContext } from "@/lib/services/context";
import { signIn } from "@/lib/services/sessions";
import {
  createUser,
  resetPassword,
  toUserViewWithThrottle,
  unlockUser,
} from "@/lib/services/users";
import { createTestDb, testContext } from "@/lib/testing";

const PASSWORD = "a long enough password";
const WRONG = "not the password at all";

async function setup() {
  const db = createTestDb();
  let clock = Date.parse("2026-11-30T12:00:00Z");
  const now = () => new Date(clock);
  const system = testContext(db, { type: "system", job: "test" }, now);
  const user = await createUser(system, {
    email: "ops@example.com",
    name: "Ops",
    password: PASSWORD,
    role: "editor",
  });
  const from = (ip = "198.51.100.7"): ServiceContext => ({
    ...testContext(db, { type: "anonymous" }, now),
    remoteIp: ip,
  });
  const attempt = (password: string, ip?: string, email = "ops@example.com") =>
    signIn(from(ip), { email, password }).then(
      (r) => r.status,
      (e: AppError) => e,
    );
  const refusals = () =>
    db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "user.sign_in_fail"))
      .all()
      .map((r) => ({
        reason: r.reason,
        detail: JSON.parse(r.detail ?? "{}") as Record<string, unknown>,
      }));
  return {
    db,
    user,
    attempt,
    refusals,
    advance: (ms: number) => {
      clock += ms;
    },
    admin: testContext(
      db,
      { type: "user", userId: "usr_admin", label: "root@x", role: "admin" },
      now,
    ),
    now,
  };
}

describe("backoff arithmetic", () => {
  it("is free for a few failures, then doubles from 1 s to a 30 s cap", () => {
    const delays = Array.from({ length: 12 }, (_, f) => backoffDelayMs(f, ACCOUNT_BACKOFF));
    expect(delays).toEqual([0, 0, 0, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
    expect(backoffDelayMs(10, ADDRESS_BACKOFF)).toBe(1000);
    expect(backoffDelayMs(1_000_000, ADDRESS_BACKOFF)).toBe(30_000);
  });
});

describe("sign-in throttling without lock-out", () => {
  it("slows an account after three misses and lets the right password in once the delay is over", async () => {
    const t = await setup();
    for (let i = 0; i < 3; i++)
      expect(await t.attempt(WRONG)).toMatchObject({ code: "UNAUTHENTICATED" });
    const refused = await t.attempt(PASSWORD);
    expect(refused).toMatchObject({ code: "RATE_LIMITED", details: { retryAfterSeconds: 1 } });
    expect((refused as AppError).message).toBe(
      "Too many failed sign-in attempts. Try again in 1 second.",
    );
    t.advance(1000);
    expect(await t.attempt(PASSWORD)).toBe("signed_in");
    // A full sign-in clears the account's count: the next typo costs nothing again.
    expect(
      t.db
        .select()
        .from(signInThrottle)
        .where(eq(signInThrottle.key, "account:ops@example.com"))
        .get(),
    ).toBeUndefined();
  });

  it("never locks the owner out: after 20 guesses the wait is at most 30 s, and attempts during it do not extend it", async () => {
    const t = await setup();
    for (let checked = 0; checked < 50;) {
      const r = (await t.attempt(WRONG)) as AppError;
      if (r.code === "RATE_LIMITED") t.advance((r.details?.retryAfterSeconds as number) * 1000);
      else checked++;
    }
    const wait = (await t.attempt(PASSWORD)) as AppError;
    expect(wait.code).toBe("RATE_LIMITED");
    expect(wait.details?.retryAfterSeconds).toBeLessThanOrEqual(30);
    // Hammering during the delay is refused quickly and does not push the end back.
    for (let i = 0; i < 20; i++) {
      t.advance(1000);
      await t.attempt(WRONG);
    }
    t.advance(10_000);
    expect(await t.attempt(PASSWORD)).toBe("signed_in");
  });

  it("audits every refused attempt, throttled ones included, and never the password", async () => {
    const t = await setup();
    for (let i = 0; i < 3; i++) await t.attempt(WRONG);
    for (let i = 0; i < 4; i++) await t.attempt(WRONG);
    await t.attempt(WRONG, undefined, "nobody@example.com");
    const rows = t.refusals();
    expect(rows.map((r) => r.reason)).toEqual([
      "wrong password",
      "wrong password",
      "wrong password",
      "throttled",
      "throttled",
      "throttled",
      "throttled",
      "unknown email",
    ]);
    expect(rows[3]?.detail).toMatchObject({
      email: "ops@example.com",
      scope: "account",
      retryAfterSeconds: 1,
    });
    expect(JSON.stringify(rows)).not.toContain(WRONG);
  });

  it("charges guesses sent in parallel before checking them, so a burst gets no more tries than a sequence", async () => {
    const t = await setup();
    const results = await Promise.all(Array.from({ length: 12 }, () => t.attempt(WRONG)));
    const checked = results.filter((r) => (r as AppError).code === "UNAUTHENTICATED");
    expect(checked.length).toBe(ACCOUNT_BACKOFF.free);
    expect(t.refusals().filter((r) => r.reason === "throttled")).toHaveLength(
      12 - ACCOUNT_BACKOFF.free,
    );
  });

  it("slows an address spraying many accounts, but not other addresses or the accounts from elsewhere", async () => {
    const t = await setup();
    for (let i = 0; i < ADDRESS_BACKOFF.free; i++)
      await t.attempt(WRONG, "203.0.113.9", `user${i}@example.com`);
    expect(await t.attempt(PASSWORD, "203.0.113.9")).toMatchObject({
      code: "RATE_LIMITED",
      details: { retryAfterSeconds: 1 },
    });
    expect(t.refusals().at(-1)?.detail).toMatchObject({ scope: "address" });
    expect(await t.attempt(PASSWORD, "192.0.2.50")).toBe("signed_in");
    t.advance(1000);
    expect(await t.attempt(PASSWORD, "203.0.113.9")).toBe("signed_in");
  });

  it("forgets failures after a quiet spell, and prunes the decayed rows", async () => {
    const t = await setup();
    for (let i = 0; i < 6; i++) {
      await t.attempt(WRONG, undefined, "guess@example.com");
      t.advance(60_000);
    }
    t.advance(BACKOFF_DECAY_MS);
    expect(await t.attempt(WRONG, "192.0.2.1")).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(
      t.db
        .select()
        .from(signInThrottle)
        .all()
        .map((r) => r.key)
        .sort(),
    ).toEqual(["account:ops@example.com", "address:192.0.2.1"]);
  });

  it("lets an admin unlock an account, audited; other roles cannot", async () => {
    const t = await setup();
    for (let i = 0; i < 6; i++) {
      await t.attempt(WRONG);
      t.advance(100);
    }
    const view = toUserViewWithThrottle(t.db, t.user, t.now());
    expect(view.failedSignIns).toBe(3);
    expect(view.signInDelaySeconds).toBeGreaterThan(0);
    const editor = testContext(
      t.db,
      { type: "user", userId: "usr_e", label: "e@x", role: "editor" },
      t.now,
    );
    expect(() => unlockUser(editor, t.user.id)).toThrow(/admin role/);
    unlockUser(t.admin, t.user.id);
    expect(toUserViewWithThrottle(t.db, t.user, t.now()).signInDelaySeconds).toBe(0);
    expect(await t.attempt(PASSWORD, "192.0.2.77")).toBe("signed_in");
    const audit = t.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "user.unlock"))
      .get();
    expect(audit?.actorId).toBe("usr_admin");
    expect(() => unlockUser(t.admin, t.user.id)).toThrow(/no failed sign-ins/);
  });

  it("resetPassword sets a new password, ends sessions, clears the backoff and is audited without the password", async () => {
    const t = await setup();
    expect(await t.attempt(PASSWORD)).toBe("signed_in");
    for (let i = 0; i < 5; i++) await t.attempt(WRONG);
    await resetPassword(t.admin, { email: "OPS@example.com", password: "a brand new password" });
    expect(t.db.select().from(sessions).all()).toHaveLength(0);
    expect(await t.attempt("a brand new password")).toBe("signed_in");
    const row = t.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "user.password_reset"))
      .get();
    expect(row?.detail).toContain('"sessionsEnded":1');
    expect(row?.detail).not.toContain("brand new");
    await expect(
      resetPassword(t.admin, { email: "none@example.com", password: "long enough pw!" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      resetPassword(t.admin, { email: "ops@example.com", password: "short" }),
    ).rejects.toThrow();
  });
});
