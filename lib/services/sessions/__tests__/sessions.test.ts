import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { auditEvents, sessions } from "@/db/schema";
import { SESSION_IDLE_MS, SESSION_MAX_MS } from "@/lib/core/sessions/inputs";
import type { ServiceContext } from "@/lib/services/context";
import { createTestDb, testContext } from "@/lib/testing";
import { createUser } from "../../users";
import {
  hashSessionToken,
  resolveSession,
  signIn as signInAny,
  type SignInResult,
  signOut,
  tokensEqual,
} from "..";

/** These users have no second factor: sign-in opens a session at once. */
async function signIn(...args: Parameters<typeof signInAny>) {
  const res: SignInResult = await signInAny(...args);
  if (res.status !== "signed_in") throw new Error("expected a session");
  return res;
}

const PASSWORD = "a long enough password";

async function setup(now = () => new Date()) {
  const db = createTestDb();
  const user = await createUser(testContext(db, { type: "system", job: "test" }), {
    email: "ops@example.com",
    name: "Ops",
    password: PASSWORD,
    role: "editor",
  });
  const anon = (ip = "10.0.0.1"): ServiceContext => ({
    ...testContext(db, { type: "anonymous" }, now),
    remoteIp: ip,
  });
  return { db, user, anon };
}

const actions = (db: ReturnType<typeof createTestDb>) =>
  db.select({ a: auditEvents.action, d: auditEvents.detail }).from(auditEvents).all();

describe("signIn", () => {
  it("opens a session whose token is stored only as its SHA-256", async () => {
    const { db, user, anon } = await setup();
    const res = await signIn(anon(), { email: "OPS@example.com", password: PASSWORD });
    expect(res.user.id).toBe(user.id);
    const row = db.select().from(sessions).get();
    expect(row?.tokenHash).toBe(hashSessionToken(res.token));
    expect(JSON.stringify(row)).not.toContain(res.token);
    expect(res.session.csrfToken.length).toBeGreaterThan(30);
    const signInRow = db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "user.sign_in"))
      .get();
    expect(signInRow?.actorId).toBe(user.id);
  });

  it("answers the same message for a wrong password and an unknown email, and audits both without the password", async () => {
    const { db, anon } = await setup();
    await expect(
      signIn(anon(), { email: "ops@example.com", password: "wrong password!" }),
    ).rejects.toThrow("Email or password is incorrect");
    await expect(
      signIn(anon(), { email: "nobody@example.com", password: "wrong password!" }),
    ).rejects.toThrow("Email or password is incorrect");
    const fails = actions(db).filter((r) => r.a === "user.sign_in_fail");
    expect(fails).toHaveLength(2);
    expect(JSON.stringify(fails)).not.toContain("wrong password!");
    expect(db.select().from(sessions).all()).toHaveLength(0);
  });
});

describe("resolveSession", () => {
  it("slides the idle expiry but never past the absolute maximum, and drops expired sessions", async () => {
    const start = Date.now();
    const { db, anon } = await setup(() => new Date(start));
    const { token } = await signIn(anon(), { email: "ops@example.com", password: PASSWORD });
    const later = new Date(start + SESSION_IDLE_MS - 1000);
    const r = resolveSession(db, token, later);
    expect(r?.session.expiresAt.getTime()).toBe(later.getTime() + SESSION_IDLE_MS);
    // keep it alive until the absolute limit
    let t = later.getTime();
    while (t + SESSION_IDLE_MS < start + SESSION_MAX_MS) {
      t += SESSION_IDLE_MS - 1000;
      expect(resolveSession(db, token, new Date(t))).not.toBeNull();
    }
    expect(resolveSession(db, token, new Date(start + SESSION_MAX_MS + 1))).toBeNull();
    expect(db.select().from(sessions).all()).toHaveLength(0);
  });

  it("returns null for unknown tokens and disabled users", async () => {
    const { db, anon } = await setup();
    expect(resolveSession(db, "nope", new Date())).toBeNull();
    const { token, user } = await signIn(anon(), { email: "ops@example.com", password: PASSWORD });
    db.$client.prepare("UPDATE users SET disabled_at = ? WHERE id = ?").run(Date.now(), user.id);
    expect(resolveSession(db, token, new Date())).toBeNull();
  });
});

describe("signOut", () => {
  it("deletes the session and audits user.sign_out", async () => {
    const { db, anon } = await setup();
    const { token, session, user } = await signIn(anon(), {
      email: "ops@example.com",
      password: PASSWORD,
    });
    signOut(
      testContext(db, { type: "user", userId: user.id, label: user.email, role: user.role }),
      session.id,
    );
    expect(resolveSession(db, token, new Date())).toBeNull();
    expect(actions(db).map((r) => r.a)).toContain("user.sign_out");
  });
});

describe("tokensEqual", () => {
  it("compares exactly", () => {
    expect(tokensEqual("abc", "abc")).toBe(true);
    expect(tokensEqual("abc", "abd")).toBe(false);
    expect(tokensEqual("abc", "abcd")).toBe(false);
    expect(tokensEqual("", "x")).toBe(false);
  });
});
