import { eq } from "drizzle-orm";
import { Secret, TOTP } from "otpauth";
import { describe, expect, it } from "vitest";

import { auditEvents, recoveryCodes, sessions, signInChallenges, users } from "@/db/schema";
import type { AppError } from "@/lib/core/errors";
import { CHALLENGE_MAX_ATTEMPTS, REAUTH_FRESH_MS } from "@/lib/core/sessions/inputs";
import type { ServiceContext } from "@/lib/services/context";
import {
  beginTotpEnrolment,
  confirmTotpEnrolment,
  disableOwnTotp,
  mfaEnrolmentDue,
  resetUserMfa,
  setMfaRequired,
} from "@/lib/services/mfa";
import { openTotpSecret } from "@/lib/services/mfa/secret";
import { rotateSecretsKey } from "@/lib/services/secrets";
import {
  completeSecondFactor,
  reauthenticate,
  requireFreshReauth,
  signIn,
} from "@/lib/services/sessions";
import { createUser, getUserOrThrow, updateUser } from "@/lib/services/users";
import { createTestDb, testContext } from "@/lib/testing";

const PASSWORD = "a long enough password";

async function setup(role: "admin" | "viewer" = "admin") {
  const db = createTestDb();
  let clock = Date.parse("2026-11-30T12:00:00Z");
  const now = () => new Date(clock);
  const user = await createUser(testContext(db, { type: "system", job: "test" }, now), {
    email: "ops@example.com",
    name: "Ops",
    password: PASSWORD,
    role,
  });
  const self: ServiceContext = testContext(
    db,
    { type: "user", userId: user.id, label: user.email, role },
    now,
  );
  const anon: ServiceContext = {
    ...testContext(db, { type: "anonymous" }, now),
    remoteIp: "192.0.2.9",
  };
  const code = (secret: string, offsetMs = 0) =>
    TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: clock + offsetMs });
  const enrol = async () => {
    const setup = await beginTotpEnrolment(self);
    const { recoveryCodes: codes } = await confirmTotpEnrolment(self, code(setup.secret));
    return { secret: setup.secret, codes };
  };
  const challenge = async () => {
    const r = await signIn(anon, { email: user.email, password: PASSWORD });
    if (r.status !== "second_factor") throw new Error("expected a challenge");
    return r.challengeToken;
  };
  const actions = () => db.select().from(auditEvents).all();
  return {
    db,
    user,
    self,
    anon,
    code,
    enrol,
    challenge,
    actions,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe("TOTP enrolment", () => {
  it("turns on only with a right code, returns ten recovery codes stored as argon2id hashes, and audits without secrets", async () => {
    const t = await setup();
    const setup1 = await beginTotpEnrolment(t.self);
    expect(setup1.uri).toMatch(/^otpauth:\/\/totp\/Portcullis:ops%40example\.com\?/);
    expect(setup1.qrSvg).toContain("<svg");
    await expect(confirmTotpEnrolment(t.self, "000000")).rejects.toMatchObject({
      code: "VALIDATION",
    });
    expect(getUserOrThrow(t.db, t.user.id).totpEnabledAt).toBeNull();
    const { recoveryCodes: codes } = await confirmTotpEnrolment(t.self, t.code(setup1.secret));
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const hashes = t.db.select().from(recoveryCodes).all();
    expect(hashes.every((h) => h.codeHash.startsWith("$argon2id$"))).toBe(true);
    const audit = JSON.stringify(t.actions());
    expect(audit).toContain("user.mfa_enable");
    expect(audit).not.toContain(setup1.secret);
    for (const c of codes) expect(audit).not.toContain(c);
    await expect(beginTotpEnrolment(t.self)).rejects.toMatchObject({ code: "CONFLICT" });
  });
});

describe("TOTP secret at rest", () => {
  it("is sealed with the secrets key, bound to its user, and survives a key rotation", async () => {
    const t = await setup();
    const { secret } = await t.enrol();
    const stored = t.db.select().from(users).where(eq(users.id, t.user.id)).get()?.totpSecret;
    expect(stored).toMatch(/^enc:v1:/);
    expect(stored).not.toContain(secret);
    // Moved to another user's row, it no longer opens.
    const other = await createUser(testContext(t.db, { type: "system", job: "test" }), {
      email: "x@example.com",
      name: "X",
      password: PASSWORD,
      role: "viewer",
    });
    expect(() => openTotpSecret(t.db, other.id, stored ?? "")).toThrow(/altered or moved/);
    const rotation = rotateSecretsKey(testContext(t.db, { type: "system", job: "test" }));
    expect(rotation.values).toBeGreaterThanOrEqual(1);
    const resealed = t.db.select().from(users).where(eq(users.id, t.user.id)).get()?.totpSecret;
    expect(resealed).not.toBe(stored);
    await expect(
      completeSecondFactor(t.anon, {
        challengeToken: await t.challenge(),
        code: t.code(secret, 30_000),
      }),
    ).resolves.toMatchObject({ user: { id: t.user.id } });
  });
});

describe("two-step sign-in", () => {
  it("gives a challenge, not a session, for the password; a fresh code completes it; the enrolment's code is not accepted again", async () => {
    const t = await setup();
    const { secret } = await t.enrol();
    const token = await t.challenge();
    expect(t.db.select().from(sessions).all()).toHaveLength(0);
    // The code used to enrol belongs to a time step already spent.
    await expect(
      completeSecondFactor(t.anon, { challengeToken: token, code: t.code(secret) }),
    ).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    const opened = await completeSecondFactor(t.anon, {
      challengeToken: token,
      code: t.code(secret, 30_000),
    });
    expect(opened.user.id).toBe(t.user.id);
    expect(t.db.select().from(signInChallenges).all()).toHaveLength(0);
    // The challenge is spent with the session.
    await expect(
      completeSecondFactor(t.anon, { challengeToken: token, code: t.code(secret, 30_000) }),
    ).rejects.toMatchObject({ details: { restart: true } });
  });

  it("accepts each recovery code once", async () => {
    const t = await setup();
    const { codes } = await t.enrol();
    const first = codes[0] ?? "";
    await expect(
      completeSecondFactor(t.anon, {
        challengeToken: await t.challenge(),
        code: first.toUpperCase(),
      }),
    ).resolves.toMatchObject({ user: { id: t.user.id } });
    await expect(
      completeSecondFactor(t.anon, { challengeToken: await t.challenge(), code: first }),
    ).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    const row = t
      .actions()
      .filter((a) => a.action === "user.sign_in")
      .at(-1);
    expect(row?.detail).toContain('"factor":"recovery"');
  });

  it("ends a challenge after five wrong codes, charges them to the backoff, and audits each", async () => {
    const t = await setup();
    const { secret } = await t.enrol();
    const token = await t.challenge();
    let last: AppError | undefined;
    for (let i = 0; i < CHALLENGE_MAX_ATTEMPTS; i++) {
      t.advance(10_000); // past the backoff wait (a few seconds here)
      last = (await completeSecondFactor(t.anon, { challengeToken: token, code: "999999" }).catch(
        (e: unknown) => e,
      )) as AppError;
    }
    expect(last?.details).toMatchObject({ restart: true });
    t.advance(60_000);
    await expect(
      completeSecondFactor(t.anon, { challengeToken: token, code: t.code(secret) }),
    ).rejects.toMatchObject({ details: { restart: true } });
    const fails = t.actions().filter((a) => a.action === "user.sign_in_fail");
    expect(fails.map((f) => f.reason)).toEqual(Array(CHALLENGE_MAX_ATTEMPTS).fill("wrong code"));
  });

  it("refuses an expired challenge", async () => {
    const t = await setup();
    const { secret } = await t.enrol();
    const token = await t.challenge();
    t.advance(5 * 60_000 + 1);
    await expect(
      completeSecondFactor(t.anon, { challengeToken: token, code: t.code(secret) }),
    ).rejects.toMatchObject({ code: "UNAUTHENTICATED", details: { restart: true } });
  });
});

describe("re-authentication", () => {
  it("is required until the password and code are confirmed, and lapses after five minutes", async () => {
    const t = await setup();
    const { secret } = await t.enrol();
    const token = await t.challenge();
    const { session } = await completeSecondFactor(t.anon, {
      challengeToken: token,
      code: t.code(secret, 30_000),
    });
    expect(() => requireFreshReauth(t.db, session.id, new Date())).toThrow(
      expect.objectContaining({ code: "FORBIDDEN", details: { reauth: "required" } }),
    );
    await expect(
      reauthenticate(t.self, session.id, { password: "wrong password!" }),
    ).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(reauthenticate(t.self, session.id, { password: PASSWORD })).rejects.toThrow(
      /code/,
    );
    t.advance(60_000);
    await reauthenticate(t.self, session.id, { password: PASSWORD, code: t.code(secret) });
    const at = Date.parse("2026-11-30T12:01:00Z");
    expect(() => requireFreshReauth(t.db, session.id, new Date(at + 1000))).not.toThrow();
    expect(() =>
      requireFreshReauth(t.db, session.id, new Date(at + REAUTH_FRESH_MS + 1)),
    ).toThrow();
    // Another session of the same user is not confirmed by this one.
    expect(() => requireFreshReauth(t.db, undefined, new Date(at))).toThrow();
    const reauth = t.actions().filter((a) => a.action.startsWith("user.reauth"));
    expect(reauth.map((r) => `${r.action}:${r.reason ?? ""}`)).toEqual([
      "user.reauth_fail:wrong password",
      "user.reauth:",
    ]);
  });
});

describe("turning off your own two-factor", () => {
  it("needs this session's fresh password and code, whose failures are audited and slowed like sign-ins", async () => {
    const t = await setup("viewer");
    const { secret } = await t.enrol();
    const { session } = await completeSecondFactor(t.anon, {
      challengeToken: await t.challenge(),
      code: t.code(secret, 30_000),
    });
    const enabled = () => getUserOrThrow(t.db, t.user.id).totpEnabledAt !== null;
    expect(() => disableOwnTotp(t.self, session.id)).toThrow(
      expect.objectContaining({ code: "FORBIDDEN", details: { reauth: "required" } }),
    );
    expect(enabled()).toBe(true);

    // Guessing goes through the sign-in backoff: after three wrong passwords the next try
    // waits, and is refused without a password check.
    const self = { ...t.self, remoteIp: "192.0.2.9" };
    for (let i = 0; i < 3; i++)
      await expect(
        reauthenticate(self, session.id, { password: `wrong password ${i}` }),
      ).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(
      reauthenticate(self, session.id, { password: PASSWORD, code: t.code(secret, 60_000) }),
    ).rejects.toMatchObject({ code: "RATE_LIMITED" });
    expect(() => disableOwnTotp(t.self, session.id)).toThrow(/Confirm your password/);

    t.advance(60_000);
    await reauthenticate(self, session.id, { password: PASSWORD, code: t.code(secret) });
    // Another session of the same user is not confirmed by this one.
    expect(() => disableOwnTotp(t.self, "ses_other")).toThrow(/Confirm your password/);
    disableOwnTotp(t.self, session.id);
    expect(enabled()).toBe(false);
    expect(t.db.select().from(recoveryCodes).all()).toHaveLength(0);
    const trail = t
      .actions()
      .filter((a) => a.action.startsWith("user.reauth") || a.action === "user.mfa_disable");
    expect(trail.map((r) => `${r.action}:${r.reason ?? ""}`)).toEqual([
      "user.reauth_fail:wrong password",
      "user.reauth_fail:wrong password",
      "user.reauth_fail:wrong password",
      "user.reauth_fail:throttled",
      "user.reauth:",
      "user.mfa_disable:",
    ]);
  });

  it("is refused once the confirmation is older than five minutes", async () => {
    const t = await setup("viewer");
    const { secret } = await t.enrol();
    const { session } = await completeSecondFactor(t.anon, {
      challengeToken: await t.challenge(),
      code: t.code(secret, 30_000),
    });
    t.advance(60_000);
    await reauthenticate(t.self, session.id, { password: PASSWORD, code: t.code(secret) });
    t.advance(REAUTH_FRESH_MS + 1);
    expect(() => disableOwnTotp(t.self, session.id)).toThrow(
      expect.objectContaining({ details: { reauth: "required" } }),
    );
    expect(getUserOrThrow(t.db, t.user.id).totpEnabledAt).not.toBeNull();
  });
});

describe("giving someone more access", () => {
  async function signedInAdmin() {
    const t = await setup("admin");
    const opened = await signIn(t.anon, { email: t.user.email, password: PASSWORD });
    if (opened.status !== "signed_in") throw new Error("expected a session");
    const person = (role: "admin" | "editor" | "viewer", sessionId?: string) =>
      createUser(
        t.self,
        { email: `${role}-${Math.random()}@example.com`, name: role, password: PASSWORD, role },
        sessionId,
      );
    const reauthRequired = expect.objectContaining({
      code: "FORBIDDEN",
      details: { reauth: "required" },
    });
    return { ...t, sessionId: opened.session.id, person, reauthRequired };
  }

  it("adding an editor or admin needs the admin's fresh password; adding a viewer does not", async () => {
    const t = await signedInAdmin();
    await expect(t.person("admin", t.sessionId)).rejects.toMatchObject({
      code: "FORBIDDEN",
      details: { reauth: "required" },
    });
    await expect(t.person("editor", t.sessionId)).rejects.toMatchObject({
      details: { reauth: "required" },
    });
    await expect(t.person("viewer", t.sessionId)).resolves.toMatchObject({ role: "viewer" });
    expect(t.actions().filter((a) => a.action === "user.create")).toHaveLength(2); // the admin and the viewer

    await reauthenticate(t.self, t.sessionId, { password: PASSWORD });
    await expect(t.person("editor", t.sessionId)).resolves.toMatchObject({ role: "editor" });
    // Without a session there is nothing to confirm: refused.
    await expect(t.person("admin")).rejects.toMatchObject({ details: { reauth: "required" } });
    t.advance(REAUTH_FRESH_MS + 1);
    await expect(t.person("admin", t.sessionId)).rejects.toMatchObject({
      details: { reauth: "required" },
    });
  });

  it("promoting and re-enabling need it; demoting, disabling and renaming do not", async () => {
    const t = await signedInAdmin();
    const viewer = await t.person("viewer", t.sessionId);
    const update = (patch: { role?: "admin" | "editor" | "viewer"; disabled?: boolean }) =>
      updateUser(t.self, { id: viewer.id, ...patch }, t.sessionId);
    expect(() => update({ role: "editor" })).toThrow(t.reauthRequired);
    expect(() => update({ role: "admin" })).toThrow(t.reauthRequired);
    expect(update({ disabled: true })).toMatchObject({ role: "viewer" });
    expect(() => update({ disabled: false })).toThrow(t.reauthRequired);
    expect(getUserOrThrow(t.db, viewer.id)).toMatchObject({ role: "viewer" });
    expect(getUserOrThrow(t.db, viewer.id).disabledAt).not.toBeNull();

    await reauthenticate(t.self, t.sessionId, { password: PASSWORD });
    expect(update({ role: "admin", disabled: false })).toMatchObject({
      role: "admin",
      disabledAt: null,
    });
    t.advance(REAUTH_FRESH_MS + 1);
    expect(update({ role: "editor" }).role).toBe("editor");
    expect(update({ role: "viewer" }).role).toBe("viewer");
    expect(() => update({ role: "editor" })).toThrow(t.reauthRequired);
    expect(updateUser(t.self, { id: viewer.id, name: "Renamed" }, t.sessionId).name).toBe(
      "Renamed",
    );
    // The seed and the operator's CLI run on the host, with no session to confirm.
    const system = testContext(t.db, { type: "system", job: "test" });
    expect(updateUser(system, { id: viewer.id, role: "admin" }).role).toBe("admin");
  });
});

describe("requiring two-factor", () => {
  it("needs the admin to have it first, then makes enrolment due for everyone without it", async () => {
    const t = await setup();
    await expect(async () => setMfaRequired(t.self, true)).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await t.enrol();
    setMfaRequired(t.self, true);
    const other = await createUser(testContext(t.db, { type: "system", job: "test" }), {
      email: "viewer@example.com",
      name: "V",
      password: PASSWORD,
      role: "viewer",
    });
    expect(mfaEnrolmentDue(t.db, other)).toBe(true);
    expect(mfaEnrolmentDue(t.db, getUserOrThrow(t.db, t.user.id))).toBe(false);
    const viewer = testContext(t.db, {
      type: "user",
      userId: other.id,
      label: other.email,
      role: "viewer",
    });
    expect(() => setMfaRequired(viewer, false)).toThrow(/admin role/);
    // While required, nobody turns their own off, and nobody is asked for a password first.
    expect(() => disableOwnTotp(t.self, undefined)).toThrow(
      expect.objectContaining({ code: "CONFLICT" }),
    );
    expect(t.actions().some((a) => a.action === "settings.mfa_required")).toBe(true);
  });

  it("an admin resets a user's two-factor, which signs them out", async () => {
    const t = await setup("viewer");
    const { secret } = await t.enrol();
    await completeSecondFactor(t.anon, {
      challengeToken: await t.challenge(),
      code: t.code(secret, 30_000),
    });
    const admin = testContext(t.db, {
      type: "user",
      userId: "usr_root",
      label: "root@x",
      role: "admin",
    });
    expect(() => resetUserMfa(t.self, t.user.id)).toThrow(/admin role/);
    resetUserMfa(admin, t.user.id);
    const after = t.db.select().from(users).where(eq(users.id, t.user.id)).get();
    expect(after).toMatchObject({ totpSecret: null, totpEnabledAt: null });
    expect(t.db.select().from(recoveryCodes).all()).toHaveLength(0);
    expect(t.db.select().from(sessions).all()).toHaveLength(0);
    await expect(
      signIn(t.anon, { email: t.user.email, password: PASSWORD }),
    ).resolves.toMatchObject({ status: "signed_in" });
  });
});
