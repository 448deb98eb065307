import fs from "node:fs";
import path from "node:path";

import { hash } from "@node-rs/argon2";
import type { Page } from "@playwright/test";
import type Database from "better-sqlite3";
import { Secret, TOTP } from "otpauth";

import { csrfToken, mutate, unique } from "./console-helpers";
import { expect, signInAs, test } from "./fixtures";
import { E2E } from "./settings";

const SHOTS = path.join(E2E.root, "reports", "screenshots");

/** Desktop and phone screenshots of the current page. */
async function shots(page: Page, name: string) {
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({
      path: path.join(SHOTS, `console-security-${name}-${width}.png`),
      fullPage: true,
    });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function newUser(db: Database.Database, role: "admin" | "viewer"): Promise<string> {
  const email = `mfa-${role}-${unique()}@portcullis.test`;
  const now = Date.now();
  db.prepare(
    `INSERT INTO users (id, email, name, password_hash, role, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    `usr_e2e${unique()}`,
    email,
    `Two-factor ${role}`,
    await hash(E2E.password),
    role,
    now,
    now,
  );
  return email;
}

/** A code for the next time step: the step enrolment used is never accepted twice. */
const nextCode = (secret: string) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() + 30_000 });

/** Enrols the signed-in user in TOTP through the API the account page uses; returns the secret. */
async function enrolThroughApi(page: Page): Promise<{ secret: string; csrf: string }> {
  const csrf = await csrfToken(page);
  const setup = await mutate(page, "POST", "/api/v1/auth/mfa/setup", {}, csrf);
  const { secret } = ((await setup.json()) as { data: { secret: string } }).data;
  const code = TOTP.generate({ secret: Secret.fromBase32(secret) });
  expect((await mutate(page, "POST", "/api/v1/auth/mfa/confirm", { code }, csrf)).status()).toBe(
    200,
  );
  return { secret, csrf };
}

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/console\/sign-in$/);
}

async function passwordStep(page: Page, email: string) {
  await page.goto("/console/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(E2E.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByLabel("Authentication code")).toBeVisible();
}

test.describe("two-factor sign-in and re-authentication", () => {
  // Every e2e sign-in comes from 127.0.0.1: leave no failures behind to slow the next spec.
  test.afterEach(({ db }) => {
    db.prepare("DELETE FROM sign_in_throttle").run();
  });

  test("a user enrols TOTP with recovery codes, then signs in with a code and once with a recovery code", async ({
    page,
    db,
  }) => {
    const email = await newUser(db, "admin");
    await signInAs(page, email);
    await page.goto("/console/account");
    await shots(page, "account-off");
    await page.getByRole("button", { name: "Set up two-factor" }).click();
    await expect(page.getByRole("img", { name: /QR code/ })).toBeVisible();
    const secret = (await page.getByTestId("totp-secret").innerText()).replace(/\s+/g, "");
    await shots(page, "account-enrol");

    await page.getByLabel("Code from the app").fill("000000");
    await page.getByRole("button", { name: "Turn on two-factor" }).click();
    await expect(page.getByText("That code does not match")).toBeVisible();
    await page
      .getByLabel("Code from the app")
      .fill(TOTP.generate({ secret: Secret.fromBase32(secret) }));
    await page.getByRole("button", { name: "Turn on two-factor" }).click();
    const list = page.getByRole("list", { name: "Recovery codes" });
    await expect(list.getByRole("listitem")).toHaveCount(10);
    const codes = await list.getByRole("listitem").allInnerTexts();
    await shots(page, "recovery-codes");
    const stored = db
      .prepare(
        "SELECT code_hash FROM recovery_codes rc JOIN users u ON u.id = rc.user_id WHERE u.email = ?",
      )
      .all(email) as { code_hash: string }[];
    expect(stored).toHaveLength(10);
    expect(stored.every((r) => r.code_hash.startsWith("$argon2id$"))).toBe(true);
    await page.getByRole("button", { name: "I have saved them" }).click();
    await expect(page.getByText("10 recovery codes left.")).toBeVisible();

    // Sign-in is two steps now; a wrong code is refused and audited.
    await signOut(page);
    await passwordStep(page, email);
    await shots(page, "sign-in-code");
    await page.getByLabel("Authentication code").fill("123456");
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(page.getByText("That code does not match", { exact: true })).toBeVisible();
    await page.getByLabel("Authentication code").fill(nextCode(secret));
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(page).toHaveURL(/\/console\/?$/);

    // A recovery code works once.
    const recovery = codes[0] ?? "";
    await signOut(page);
    await passwordStep(page, email);
    await page.getByLabel("Authentication code").fill(recovery);
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(page).toHaveURL(/\/console\/?$/);
    await signOut(page);
    await passwordStep(page, email);
    await page.getByLabel("Authentication code").fill(recovery);
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(page.getByText("That code does not match", { exact: true })).toBeVisible();

    const reasons = db
      .prepare(
        "SELECT action, reason, detail FROM audit_events WHERE action IN ('user.sign_in', 'user.sign_in_fail', 'user.mfa_enable') AND (target_id IN (SELECT id FROM users WHERE email = ?)) ORDER BY seq",
      )
      .all(email) as { action: string; reason: string | null; detail: string }[];
    expect(reasons.map((r) => `${r.action}${r.reason ? `:${r.reason}` : ""}`)).toEqual([
      "user.sign_in",
      "user.mfa_enable",
      "user.sign_in_fail:wrong code",
      "user.sign_in",
      "user.sign_in",
      "user.sign_in_fail:wrong code",
    ]);
    expect(reasons[3]?.detail).toContain('"factor":"totp"');
    expect(reasons[4]?.detail).toContain('"factor":"recovery"');
    expect(JSON.stringify(reasons)).not.toContain(recovery);
  });

  test("an admin can require two-factor: a user without it is sent to set it up", async ({
    page,
    db,
  }) => {
    const admin = await newUser(db, "admin");
    const viewer = await newUser(db, "viewer");
    await signInAs(page, admin);
    await page.goto("/console/users");
    await page.getByRole("button", { name: "Require for everyone" }).click();
    await expect(
      page.getByText("Set up two-factor authentication for your own account first"),
    ).toBeVisible();
    try {
      // Enrol the admin through the API the page uses, then require it.
      const { secret, csrf } = await enrolThroughApi(page);
      await page.reload();
      await page.getByRole("button", { name: "Require for everyone" }).click();
      await expect(page.getByText("Required", { exact: true })).toBeVisible();
      await shots(page, "users");

      // Making it optional, or removing someone's two-factor, weakens sign-in: the server wants a
      // fresh password (and code) first, whatever the page does.
      const optional = await mutate(
        page,
        "PATCH",
        "/api/v1/settings/auth",
        { mfaRequired: false },
        csrf,
      );
      expect(optional.status()).toBe(403);
      expect(await optional.json()).toMatchObject({ error: { details: { reauth: "required" } } });
      const viewerId = (
        db.prepare("SELECT id FROM users WHERE email = ?").get(viewer) as { id: string }
      ).id;
      const reset = await mutate(page, "DELETE", `/api/v1/users/${viewerId}/mfa`, {}, csrf);
      expect(reset.status()).toBe(403);
      // The page asks for both, then makes the change; requiring it again asks for nothing.
      await page.getByRole("button", { name: "Make optional" }).click();
      const confirm = page.getByRole("dialog", { name: "Confirm it's you" });
      await expect(confirm).toContainText("This change removes a sign-in check.");
      await confirm.getByLabel("Your password").fill(E2E.password);
      // The next time step: the step of the enrolment code cannot be used twice.
      await confirm
        .getByLabel("Authentication code")
        .fill(TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() + 30_000 }));
      await confirm.getByRole("button", { name: "Confirm" }).click();
      await expect(page.getByText("Optional", { exact: true })).toBeVisible();
      await page.getByRole("button", { name: "Require for everyone" }).click();
      await expect(page.getByText("Required", { exact: true })).toBeVisible();

      await signOut(page);
      await signInAs(page, viewer);
      await expect(page).toHaveURL(/\/console\/account\?enrol=required$/);
      await expect(page.getByText("An admin requires two-factor authentication.")).toBeVisible();
      await page.goto("/console/audit");
      await expect(page).toHaveURL(/\/console\/account\?enrol=required$/);
      const api = await page.request.get("/api/v1/audit");
      expect(api.status()).toBe(403);
      expect(await api.text()).toContain("Set up two-factor authentication first");
      await shots(page, "enrol-required");
    } finally {
      db.prepare("UPDATE auth_settings SET mfa_required = 0 WHERE id = 1").run();
    }
  });

  test("an admin sees a slowed account on the users page and unlocks it", async ({
    page,
    signIn,
    request,
    db,
  }) => {
    const email = await newUser(db, "viewer");
    const attempt = (password: string) =>
      request.post("/api/v1/auth/sign-in", {
        headers: { origin: E2E.consoleUrl, "content-type": "application/json" },
        data: JSON.stringify({ email, password }),
      });
    for (let i = 0; i < 3; i++) expect((await attempt("wrong wrong wrong")).status()).toBe(401);
    const slowed = await attempt(E2E.password);
    expect(slowed.status()).toBe(429);
    expect(await slowed.text()).toContain("Try again in 1 second");

    await signIn("admin");
    await page.goto("/console/users");
    const row = page.getByRole("row", { name: new RegExp(email) });
    await expect(row).toContainText("3 failed sign-ins");
    await row.getByRole("button", { name: `Unlock ${email}` }).click();
    await expect(page.getByText(`${email} can try again at once`)).toBeVisible();
    await expect(row).not.toContainText("failed sign-in");
    expect((await attempt(E2E.password)).status()).toBe(200);
    const unlock = db
      .prepare(
        "SELECT actor_label, detail FROM audit_events WHERE action = 'user.unlock' ORDER BY seq DESC LIMIT 1",
      )
      .get() as { actor_label: string; detail: string };
    expect(unlock.actor_label).toBe(E2E.adminEmail);
    expect(unlock.detail).toContain(email);
  });

  test("an admin removes a user's two-factor only after confirming it, with a fresh password", async ({
    page,
    db,
  }) => {
    const viewer = await newUser(db, "viewer");
    const admin = await newUser(db, "admin");
    await signInAs(page, viewer);
    await enrolThroughApi(page);
    await signOut(page);

    await signInAs(page, admin);
    await page.goto("/console/users");
    const row = page.getByRole("row", { name: new RegExp(viewer) });
    await expect(row.getByText("On", { exact: true })).toBeVisible();
    const reset = row.getByRole("button", { name: `Reset two-factor of ${viewer}` });
    const ask = page.getByRole("dialog", { name: "Remove two-factor?" });
    await reset.click();
    await expect(ask).toContainText(`${viewer} is signed out everywhere`);
    await shots(page, "reset-mfa");
    await ask.getByRole("button", { name: "Cancel" }).click();
    await expect(ask).toBeHidden();
    await expect(row.getByText("On", { exact: true })).toBeVisible();

    await reset.click();
    await ask.getByRole("button", { name: "Remove two-factor" }).click();
    const confirm = page.getByRole("dialog", { name: "Confirm it's you" });
    await confirm.getByLabel("Your password").fill(E2E.password);
    await confirm.getByRole("button", { name: "Confirm" }).click();
    await expect(page.getByText(`Two-factor removed from ${viewer}`)).toBeVisible();
    await expect(row.getByText("Off", { exact: true })).toBeVisible();
    const stored = db
      .prepare("SELECT totp_enabled_at AS enabled FROM users WHERE email = ?")
      .get(viewer) as { enabled: number | null };
    expect(stored.enabled).toBeNull();
  });

  test("turning off your own two-factor needs a fresh password and code, enforced by the server", async ({
    page,
    db,
  }) => {
    const email = await newUser(db, "viewer");
    await signInAs(page, email);
    const { secret, csrf } = await enrolThroughApi(page);

    // A password and code in the request are not enough: this session must have confirmed them.
    const direct = await mutate(
      page,
      "POST",
      "/api/v1/auth/mfa/disable",
      { password: E2E.password, code: nextCode(secret) },
      csrf,
    );
    expect(direct.status()).toBe(403);
    expect(await direct.json()).toMatchObject({ error: { details: { reauth: "required" } } });

    await page.goto("/console/account");
    await page.getByRole("button", { name: "Turn off two-factor" }).click();
    await page
      .getByRole("dialog", { name: "Turn off two-factor?" })
      .getByRole("button", { name: "Turn off" })
      .click();
    const confirm = page.getByRole("dialog", { name: "Confirm it's you" });
    await expect(confirm).toContainText("This change removes a sign-in check.");
    await confirm.getByLabel("Your password").fill("not my password");
    await confirm.getByLabel("Authentication code").fill(nextCode(secret));
    await confirm.getByRole("button", { name: "Confirm" }).click();
    await expect(confirm.getByText("Password is incorrect")).toBeVisible();
    await confirm.getByLabel("Your password").fill(E2E.password);
    await confirm.getByRole("button", { name: "Confirm" }).click();
    await expect(page.getByText("Two-factor authentication is off")).toBeVisible();
    await expect(page.getByRole("button", { name: "Set up two-factor" })).toBeVisible();
    const stored = db
      .prepare("SELECT id, totp_enabled_at AS enabled FROM users WHERE email = ?")
      .get(email) as { id: string; enabled: number | null };
    expect(stored.enabled).toBeNull();
    const trail = (
      db
        .prepare(
          "SELECT action, reason FROM audit_events WHERE target_id = ? AND action IN ('user.reauth', 'user.reauth_fail', 'user.mfa_disable') ORDER BY seq",
        )
        .all(stored.id) as { action: string; reason: string | null }[]
    ).map((r) => `${r.action}${r.reason ? `:${r.reason}` : ""}`);
    expect(trail).toEqual(["user.reauth_fail:wrong password", "user.reauth", "user.mfa_disable"]);
  });

  test("adding an editor, promoting or re-enabling someone needs a fresh password; adding a viewer or disabling does not", async ({
    page,
    db,
  }) => {
    const admin = await newUser(db, "admin");
    await signInAs(page, admin);
    const csrf = await csrfToken(page);
    const person = (role: "admin" | "editor" | "viewer") => ({
      email: `access-${role}-${unique()}@portcullis.test`,
      name: `Access ${role}`,
      password: E2E.password,
      role,
    });

    // Straight to the API, without confirming: refused, and nothing changes.
    const minted = person("admin");
    const direct = await mutate(page, "POST", "/api/v1/users", minted, csrf);
    expect(direct.status()).toBe(403);
    expect(await direct.json()).toMatchObject({ error: { details: { reauth: "required" } } });
    expect(db.prepare("SELECT id FROM users WHERE email = ?").get(minted.email)).toBeUndefined();
    const added = await mutate(page, "POST", "/api/v1/users", person("viewer"), csrf);
    expect(added.status()).toBe(200);
    const viewer = ((await added.json()) as { data: { id: string; email: string } }).data;
    const patch = (body: Record<string, unknown>) =>
      mutate(page, "PATCH", `/api/v1/users/${viewer.id}`, body, csrf);
    expect((await patch({ role: "editor" })).status()).toBe(403);
    expect((await patch({ disabled: true })).status()).toBe(200);
    expect((await patch({ disabled: false })).status()).toBe(403);

    // The page asks for the admin's password, then adds the editor.
    await page.goto("/console/users");
    await page.getByRole("button", { name: "Add user" }).click();
    const dialog = page.getByRole("dialog", { name: "Add a console user" });
    const editor = person("editor");
    await dialog.getByLabel("Email").fill(editor.email);
    await dialog.getByLabel("Name").fill(editor.name);
    await dialog.getByLabel("Password").fill(editor.password);
    await dialog.getByLabel("Role").selectOption("editor");
    await dialog.getByRole("button", { name: "Create user" }).click();
    const confirm = page.getByRole("dialog", { name: "Confirm it's you" });
    await expect(confirm).toContainText("This change gives someone more access to the console.");
    await confirm.getByLabel("Your password").fill(E2E.password);
    await confirm.getByRole("button", { name: "Confirm" }).click();
    await expect(page.getByText(`Created ${editor.email} (editor)`)).toBeVisible();
    await expect(dialog).toBeHidden();
    // Confirmed within the last five minutes: re-enabling asks nothing more.
    const row = page.getByRole("row", { name: new RegExp(viewer.email) });
    await row.getByRole("button", { name: `Enable ${viewer.email}` }).click();
    await expect(page.getByText(`${viewer.email} can sign in again`)).toBeVisible();
    await expect(row.getByText("Active", { exact: true })).toBeVisible();

    const actions = (
      db
        .prepare(
          "SELECT action FROM audit_events WHERE actor_label = ? AND action LIKE 'user.%' AND action <> 'user.sign_in' ORDER BY seq",
        )
        .all(admin) as { action: string }[]
    ).map((r) => r.action);
    expect(actions).toEqual([
      "user.create",
      "user.disable",
      "user.reauth",
      "user.create",
      "user.update",
    ]);
  });

  test("changing a server's command needs a fresh password, enforced by the server", async ({
    page,
    signIn,
    db,
  }) => {
    const name = `reauth-${unique()}`;
    const now = Date.now();
    db.prepare(
      `INSERT INTO upstreams (id, name, transport, command, args, enabled, created_at, updated_at)
       VALUES (?, ?, 'stdio', 'node', '["server.js"]', 0, ?, ?)`,
    ).run(`ups_e2e${unique()}`, name, now, now);
    const id = (db.prepare("SELECT id FROM upstreams WHERE name = ?").get(name) as { id: string })
      .id;
    await signIn("admin");

    // Straight to the API, without confirming: refused, and nothing changes.
    const csrf = await csrfToken(page);
    const direct = await mutate(page, "PATCH", `/api/v1/upstreams/${id}`, { command: "sh" }, csrf);
    expect(direct.status()).toBe(403);
    expect(await direct.json()).toMatchObject({ error: { details: { reauth: "required" } } });
    // A change that runs nothing different needs no password.
    expect(
      (
        await mutate(page, "PATCH", `/api/v1/upstreams/${id}`, { timeoutMs: 30_000 }, csrf)
      ).status(),
    ).toBe(200);

    await page.goto(`/console/servers/${name}`);
    await page.getByRole("button", { name: "Edit command" }).click();
    const edit = page.getByRole("dialog", { name: `Edit how ${name} starts` });
    await edit.getByLabel("Command", { exact: true }).fill("python3");
    await edit.getByLabel("Arguments 1", { exact: true }).fill("-m");
    await edit.getByRole("button", { name: "Add argument" }).click();
    await edit.getByLabel("Arguments 2", { exact: true }).fill("mcp_server");
    await edit.getByRole("button", { name: "Save" }).click();
    const confirm = page.getByRole("dialog", { name: "Confirm it's you" });
    await confirm.getByLabel("Your password").fill("not my password");
    await confirm.getByRole("button", { name: "Confirm" }).click();
    await expect(confirm.getByText("Password is incorrect")).toBeVisible();
    await shots(page, "reauth");
    await confirm.getByLabel("Your password").fill(E2E.password);
    await confirm.getByRole("button", { name: "Confirm" }).click();
    await expect(
      page.getByText(`Saved; the gateway uses it for new connections to ${name}.`),
    ).toBeVisible();
    expect(db.prepare("SELECT command, args FROM upstreams WHERE id = ?").get(id)).toEqual({
      command: "python3",
      args: JSON.stringify(["-m", "mcp_server"]),
    });
    const actions = (
      db
        .prepare(
          "SELECT action, reason FROM audit_events WHERE action IN ('user.reauth', 'user.reauth_fail', 'upstream.update') AND occurred_at >= ? ORDER BY seq",
        )
        .all(now) as { action: string; reason: string | null }[]
    ).map((r) => `${r.action}${r.reason ? `:${r.reason}` : ""}`);
    expect(actions).toEqual([
      "upstream.update",
      "user.reauth_fail:wrong password",
      "user.reauth",
      "upstream.update",
    ]);
  });

  test("one user's live streams are capped; the one over the cap is refused and audited", async ({
    db,
  }) => {
    // Signed in from Node, not a page: no dashboard holds a stream, and a browser would open
    // at most six connections to one host anyway.
    const email = await newUser(db, "viewer");
    const signedIn = await fetch(`${E2E.consoleUrl}/api/v1/auth/sign-in`, {
      method: "POST",
      headers: { origin: E2E.consoleUrl, "content-type": "application/json" },
      body: JSON.stringify({ email, password: E2E.password }),
    });
    expect(signedIn.status).toBe(200);
    const cookie = (signedIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const open = async () => {
      const controller = new AbortController();
      const res = await fetch(`${E2E.consoleUrl}/api/v1/audit/stream`, {
        headers: { cookie },
        signal: controller.signal,
      });
      return { status: res.status, close: () => controller.abort() };
    };
    const streams = [];
    for (let i = 0; i < 9; i++) streams.push(await open());
    expect(streams.map((s) => s.status)).toEqual([...Array(8).fill(200), 429]);
    const refused = db
      .prepare(
        "SELECT actor_label FROM audit_events WHERE action = 'stream.refuse' ORDER BY seq DESC LIMIT 1",
      )
      .get() as { actor_label: string };
    expect(refused.actor_label).toBe(email);
    // Closing streams frees their slots.
    for (const s of streams) s.close();
    await expect
      .poll(async () => {
        const s = await open();
        s.close();
        return s.status;
      })
      .toBe(200);
  });
});
