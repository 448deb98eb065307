import { E2E } from "./settings";
import { expect, test } from "./fixtures";
import { csrfToken, mutate, screenshot } from "./console-helpers";

test.describe("console sign-in and roles", () => {
  test("signs in, shows the user and role, signs out", async ({ page, signIn }) => {
    await page.goto("/console");
    await expect(page).toHaveURL(/\/console\/sign-in$/);
    await screenshot(page, "sign-in");

    await page.getByLabel("Email").fill(E2E.adminEmail);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(
      page.getByRole("alert").filter({ hasText: "Email or password is incorrect" }),
    ).toBeVisible();

    const email = await signIn("admin");
    const nav = page.getByRole("navigation", { name: "Console" });
    for (const item of ["Dashboard", "Audit log", "Denied calls", "Approvals", "Inbox", "Users"]) {
      await expect(nav.getByRole("link", { name: item })).toBeVisible();
    }
    await expect(page.getByText(email)).toBeVisible();
    await expect(page.getByText("admin", { exact: true })).toBeVisible();

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/console\/sign-in$/);
    await page.goto("/console/audit");
    await expect(page).toHaveURL(/\/console\/sign-in$/);
    expect((await page.request.get("/api/v1/audit")).status()).toBe(401);
  });

  test("a viewer can look but not change anything, in the UI or the API", async ({
    page,
    signIn,
    db,
  }) => {
    await signIn("viewer");
    const nav = page.getByRole("navigation", { name: "Console" });
    await expect(nav.getByRole("link", { name: "Dashboard" })).toBeVisible();
    await expect(nav.getByRole("link", { name: "Users" })).toHaveCount(0);
    await page.goto("/console/users");
    await expect(page.getByText("You don't have access to this page")).toBeVisible();

    const csrf = await csrfToken(page);
    const agent = db.prepare("SELECT id FROM agents WHERE name = 'demo-agent'").get() as {
      id: string;
    };
    const upstream = db.prepare("SELECT id FROM upstreams WHERE name = 'everything'").get() as {
      id: string;
    };
    const attempts = [
      mutate(
        page,
        "POST",
        "/api/v1/grants",
        { agentId: agent.id, upstreamId: upstream.id, toolPattern: "*", effect: "allow" },
        csrf,
      ),
      mutate(
        page,
        "POST",
        `/api/v1/upstreams/${upstream.id}/policy`,
        { yaml: 'version: "1"\ndefault: allow\n' },
        csrf,
      ),
      mutate(
        page,
        "POST",
        "/api/v1/users",
        { email: "x@portcullis.test", name: "X", password: "long enough password", role: "admin" },
        csrf,
      ),
      mutate(
        page,
        "POST",
        "/api/v1/approvals/apr_whatever/decision",
        { decision: "approve" },
        csrf,
      ),
      mutate(page, "POST", "/api/v1/agents", { name: "viewer-made" }, csrf),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status()).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
    }
    const grants = db
      .prepare("SELECT count(*) AS n FROM grants WHERE tool_pattern = '*'")
      .get() as { n: number };
    expect(grants.n).toBe(0);
  });

  test("a mutation without the CSRF token, or from another origin, is refused", async ({
    page,
    signIn,
  }) => {
    await signIn("admin");
    const csrf = await csrfToken(page);
    const name = `csrf-check-${Date.now()}`;

    const noToken = await mutate(page, "POST", "/api/v1/agents", { name });
    expect(noToken.status()).toBe(403);
    expect(await noToken.text()).toContain("CSRF");

    const wrongToken = await mutate(
      page,
      "POST",
      "/api/v1/agents",
      { name },
      `${csrf.slice(0, -2)}xx`,
    );
    expect(wrongToken.status()).toBe(403);

    const crossOrigin = await page.request.post("/api/v1/agents", {
      headers: {
        origin: "http://evil.example",
        "x-csrf-token": csrf,
        "content-type": "application/json",
      },
      data: JSON.stringify({ name }),
    });
    expect(crossOrigin.status()).toBe(403);
    expect(await crossOrigin.text()).toContain("Cross-origin");

    const ok = await mutate(page, "POST", "/api/v1/agents", { name }, csrf);
    expect(ok.status()).toBe(200);
  });

  test("repeated wrong passwords are throttled with a clear message", async ({ request, db }) => {
    const email = `nobody-${Date.now()}@portcullis.test`;
    const attempt = () =>
      request.post("/api/v1/auth/sign-in", {
        headers: { origin: E2E.consoleUrl, "content-type": "application/json" },
        data: JSON.stringify({ email, password: "wrong wrong wrong" }),
      });
    // Three misses are free; the fourth within a second waits (backoff, not a lock-out).
    for (let i = 0; i < 3; i++) expect((await attempt()).status()).toBe(401);
    const limited = await attempt();
    expect(limited.status()).toBe(429);
    expect(Number(limited.headers()["retry-after"])).toBeGreaterThan(0);
    expect(await limited.text()).toContain("Too many failed sign-in attempts");
    // Every e2e sign-in comes from 127.0.0.1: leave no failures behind for the next tests.
    db.prepare("DELETE FROM sign_in_throttle").run();
  });
});
