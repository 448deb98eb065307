import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { auditEvents, sessions, users } from "@/db/schema";
import { AppError } from "@/lib/core/errors";
import { createTestDb, testContext } from "@/lib/testing";
import { createUser, listUsers, updateUser, verifyPassword } from "..";

const viewer = { type: "user", userId: "usr_v", label: "v@test", role: "viewer" } as const;
// Adding an editor or admin as a user needs a fresh re-authentication (security-mfa.test.ts).
const system = { type: "system", job: "test" } as const;

function audit(db: ReturnType<typeof createTestDb>, action: string) {
  return db.select().from(auditEvents).where(eq(auditEvents.action, action)).all();
}

describe("createUser", () => {
  it("stores an argon2id hash, never the password, and audits user.create", async () => {
    const db = createTestDb();
    const user = await createUser(testContext(db, system), {
      email: " Alice@Example.com ",
      name: "Alice",
      password: "correct horse battery",
      role: "editor",
    });
    expect(user.email).toBe("alice@example.com");
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(user.passwordHash, "correct horse battery")).toBe(true);
    const [row] = audit(db, "user.create");
    expect(row?.targetId).toBe(user.id);
    expect(row?.detail).not.toContain("argon2");
    expect(row?.detail).not.toContain("correct horse");
    expect(JSON.parse(row?.detail ?? "{}").after).toMatchObject({
      email: "alice@example.com",
      role: "editor",
    });
  });

  it("refuses a password shorter than 12 characters", async () => {
    const db = createTestDb();
    await expect(
      createUser(testContext(db), {
        email: "a@b.co",
        name: "A",
        password: "short-pass",
        role: "viewer",
      }),
    ).rejects.toThrow(/at least 12 characters/);
    expect(db.select().from(users).all()).toHaveLength(0);
  });

  it("refuses a duplicate email with CONFLICT", async () => {
    const db = createTestDb();
    const input = {
      email: "a@b.co",
      name: "A",
      password: "long enough password",
      role: "viewer",
    } as const;
    await createUser(testContext(db), input);
    await expect(createUser(testContext(db), { ...input, email: "A@B.CO" })).rejects.toMatchObject({
      code: "CONFLICT",
    });
  });

  it("refuses non-admins and accepts the system actor", async () => {
    const db = createTestDb();
    const input = {
      email: "a@b.co",
      name: "A",
      password: "long enough password",
      role: "admin",
    } as const;
    await expect(createUser(testContext(db, viewer), input)).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(
      createUser(testContext(db, { type: "system", job: "seed" }), input),
    ).resolves.toMatchObject({ role: "admin" });
  });
});

describe("updateUser", () => {
  async function twoAdmins() {
    const db = createTestDb();
    const ctx = testContext(db);
    const a = await createUser(testContext(db, system), {
      email: "a@b.co",
      name: "A",
      password: "long enough password",
      role: "admin",
    });
    const b = await createUser(testContext(db, system), {
      email: "b@b.co",
      name: "B",
      password: "long enough password",
      role: "admin",
    });
    return { db, ctx, a, b };
  }

  it("changes the role with before/after in the audit log", async () => {
    const { db, ctx, b } = await twoAdmins();
    const after = updateUser(ctx, { id: b.id, role: "viewer" });
    expect(after.role).toBe("viewer");
    const detail = JSON.parse(audit(db, "user.update")[0]?.detail ?? "{}");
    expect(detail.before.role).toBe("admin");
    expect(detail.after.role).toBe("viewer");
    expect(detail.changedFields).toEqual(["role"]);
  });

  it("refuses to demote or disable the last admin", async () => {
    const { ctx, a, b } = await twoAdmins();
    updateUser(ctx, { id: b.id, disabled: true });
    expect(() => updateUser(ctx, { id: a.id, role: "editor" })).toThrow(/last admin/);
    expect(() => updateUser(ctx, { id: a.id, disabled: true })).toThrow(AppError);
  });

  it("disabling ends the user's sessions and audits user.disable", async () => {
    const { db, ctx, b } = await twoAdmins();
    const now = new Date();
    db.insert(sessions)
      .values({
        id: "ses_1",
        tokenHash: "h",
        userId: b.id,
        csrfToken: "c",
        createdAt: now,
        expiresAt: now,
        lastSeenAt: now,
      })
      .run();
    updateUser(ctx, { id: b.id, disabled: true });
    expect(db.select().from(sessions).all()).toHaveLength(0);
    expect(audit(db, "user.disable")).toHaveLength(1);
  });

  it("a no-op update writes no audit row", async () => {
    const { db, ctx, b } = await twoAdmins();
    updateUser(ctx, { id: b.id, role: "admin" });
    expect(audit(db, "user.update")).toHaveLength(0);
  });

  it("is admin-only, and listUsers too", async () => {
    const { db, b } = await twoAdmins();
    expect(() => updateUser(testContext(db, viewer), { id: b.id, role: "viewer" })).toThrow(
      /admin role/,
    );
    expect(() => listUsers(testContext(db, viewer))).toThrow(/admin role/);
    expect(listUsers(testContext(db)).map((u) => u.email)).toEqual(["a@b.co", "b@b.co"]);
  });

  it("answers NOT_FOUND for an unknown user", () => {
    const db = createTestDb();
    expect(() => updateUser(testContext(db), { id: "usr_nope", role: "viewer" })).toThrow(
      /does not exist/,
    );
  });
});
