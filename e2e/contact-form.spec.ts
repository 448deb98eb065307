import fs from "node:fs";
import path from "node:path";

import { expect, test } from "./fixtures";
import { E2E } from "./settings";
import {
  contactForm,
  formToken,
  MIN_FILL_MS,
  postContact,
  resetContactLimit,
  uniq,
  waitForHumanFillTime,
} from "./contact-helpers";

const SHOTS = path.join(E2E.root, "reports", "screenshots");

test.beforeEach(({ db }) => resetContactLimit(db));

test("a visitor's message arrives in the inbox, where an editor reads and archives it", async ({
  page,
  signIn,
  db,
}) => {
  const name = uniq("Grace Hopper");
  await page.goto("/");
  const form = contactForm(page);
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Work email").fill("grace@navy.example");
  await form.getByLabel("Company (optional)").fill("US Navy");
  await form
    .getByLabel("Message")
    .fill("We run twelve agents against GitHub and Stripe.\nCan Portcullis cap refunds per day?");
  await waitForHumanFillTime(page);
  const url = page.url();
  await form.getByRole("button", { name: "Send message" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Message sent." })).toBeVisible();
  expect(page.url()).toBe(url);

  const row = db
    .prepare("SELECT id, email, company, message FROM contact_messages WHERE name = ?")
    .get(name) as { id: string; email: string; company: string; message: string } | undefined;
  expect(row).toMatchObject({ email: "grace@navy.example", company: "US Navy" });
  const audit = db
    .prepare(
      "SELECT actor_type, detail FROM audit_events WHERE action = 'contact.receive' AND target_id = ?",
    )
    .all(row?.id) as { actor_type: string; detail: string }[];
  expect(audit).toHaveLength(1);
  expect(audit[0]?.actor_type).toBe("anonymous");
  expect(audit[0]?.detail).not.toContain("twelve agents");

  await signIn("editor");
  await page.goto("/console/inbox");
  await page.getByLabel("Search messages").fill(name);
  const item = page.getByRole("button", { name: new RegExp(name) });
  await expect(item).toHaveCount(1);
  await expect(item).toContainText("Unread");
  await item.click();
  const detail = page.getByRole("article");
  await expect(detail.getByRole("heading", { name })).toBeVisible();
  await expect(detail.getByTestId("message-body")).toHaveText(
    "We run twelve agents against GitHub and Stripe.\nCan Portcullis cap refunds per day?",
  );
  await expect(detail.getByText("Read", { exact: true })).toBeVisible();
  await expect(item).not.toContainText("Unread");

  await detail.getByRole("button", { name: "Archive" }).click();
  await expect(page.getByRole("button", { name: new RegExp(name) })).toHaveCount(0);
  await page.getByRole("button", { name: /^Archived/ }).click();
  await expect(page.getByRole("button", { name: new RegExp(name) })).toHaveCount(1);

  const updates = db
    .prepare(
      "SELECT actor_type FROM audit_events WHERE action = 'contact.update' AND target_id = ?",
    )
    .all(row?.id) as { actor_type: string }[];
  expect(updates.map((u) => u.actor_type)).toEqual(["user", "user"]);
});

test("a flood gets 429 after five messages, and the five accepted ones are all in the inbox", async ({
  page,
  request,
  signIn,
  db,
}) => {
  const batch = uniq("flood");
  // A token is good for one message, so the flood fetches a fresh one for each.
  const tokens = await Promise.all(Array.from({ length: 8 }, () => formToken(request)));
  await page.waitForTimeout(MIN_FILL_MS);
  const statuses: number[] = [];
  let limited: { status: number; retryAfter: string | undefined; message: string } | undefined;
  for (let i = 1; i <= 8; i++) {
    const res = await postContact(request, {
      name: `${batch} #${i}`,
      email: `sender${i}@flood.example`,
      message: `Flood message number ${i} of eight.`,
      formToken: tokens[i - 1],
    });
    statuses.push(res.status());
    if (res.status() === 429 && !limited) {
      const body = (await res.json()) as { error: { message: string } };
      limited = {
        status: 429,
        retryAfter: res.headers()["retry-after"],
        message: body.error.message,
      };
    }
  }
  expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
  expect(limited?.message).toMatch(
    /Too many messages from your network\. Try again in \d+ minutes?\./,
  );
  expect(Number(limited?.retryAfter)).toBeGreaterThan(0);

  const stored = db
    .prepare("SELECT name FROM contact_messages WHERE name LIKE ? ORDER BY name")
    .all(`${batch} #%`) as {
    name: string;
  }[];
  expect(stored.map((r) => r.name)).toEqual([1, 2, 3, 4, 5].map((i) => `${batch} #${i}`));

  // A person on the same address now sees the limit beside the form, without a reload.
  await page.goto("/");
  const form = contactForm(page);
  await form.getByLabel("Name").fill("Late visitor");
  await form.getByLabel("Work email").fill("late@example.com");
  await form.getByLabel("Message").fill("Is anyone there? This is a real question.");
  await waitForHumanFillTime(page);
  await form.getByRole("button", { name: "Send message" }).click();
  await expect(form.getByRole("alert")).toContainText("Too many messages from your network");

  await signIn("viewer");
  await page.goto("/console/inbox");
  await page.getByLabel("Search messages").fill(batch);
  await expect(page.getByRole("region", { name: "Messages" }).getByRole("button")).toHaveCount(5);
  for (let i = 1; i <= 5; i++)
    await expect(page.getByText(`${batch} #${i}`, { exact: true })).toBeVisible();
  // A viewer reads but cannot change.
  await page.getByRole("button", { name: new RegExp(`${batch} #3`) }).click();
  await expect(page.getByRole("article").getByRole("button")).toHaveCount(0);
});

test("a filled honeypot gets the same answer and is silently dropped", async ({ page, db }) => {
  const name = uniq("Honey Bot");
  await page.goto("/");
  const form = contactForm(page);
  const trap = page.locator('input[name="website"]');
  await expect(trap).toHaveAttribute("tabindex", "-1");
  await expect(trap).toHaveAttribute("autocomplete", "off");
  await expect(page.locator('[aria-hidden="true"]:has(input[name="website"])')).toHaveCount(1);
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Work email").fill("bot@spam.example");
  await form.getByLabel("Message").fill("Buy cheap followers at our amazing website today!");
  await trap.fill("https://spam.example", { force: true });
  await waitForHumanFillTime(page);
  await form.getByRole("button", { name: "Send message" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Message sent." })).toBeVisible();

  const rows = db
    .prepare("SELECT count(*) AS n FROM contact_messages WHERE name = ?")
    .get(name) as { n: number };
  expect(rows.n).toBe(0);
  const counters = db
    .prepare("SELECT count(*) AS n FROM counter_events WHERE key LIKE 'contact:%'")
    .get() as { n: number };
  expect(counters.n).toBe(0);
});

test("a script payload is stored verbatim and shown as text in the inbox", async ({
  page,
  request,
  signIn,
}) => {
  const marker = uniq("xss");
  const name = `<img src=x onerror="window.__pwned='${marker}'"> ${marker}`;
  const message = `<script>window.__pwned='${marker}'</script>\n<b>bold?</b> <a href="javascript:alert(1)">link</a>`;
  const company = '=HYPERLINK("http://evil.example","click")';
  const token = await formToken(request);
  await page.waitForTimeout(MIN_FILL_MS);
  const res = await postContact(request, {
    name,
    email: "mallory@evil.example",
    company,
    message,
    formToken: token,
  });
  expect(res.status()).toBe(200);

  await signIn("admin");
  await page.goto("/console/inbox");
  await page.getByLabel("Search messages").fill(marker);
  await page.getByRole("button", { name: new RegExp(marker) }).click();
  const detail = page.getByRole("article");
  await expect(detail.getByRole("heading")).toHaveText(name);
  await expect(detail.getByTestId("message-body")).toHaveText(message);
  await expect(detail.getByText(company)).toBeVisible();
  expect(await page.evaluate(() => (window as { __pwned?: string }).__pwned)).toBeUndefined();
  expect(await page.locator("main").locator("script, img, b, a[href^='javascript']").count()).toBe(
    0,
  );

  // The CSV export defuses the formula: spreadsheets show it as text.
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export CSV" }).click();
  const csv = fs.readFileSync(await (await download).path(), "utf8");
  expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
  expect(csv).not.toMatch(/(^|,)"?=HYPERLINK/m);
});

test("the form works with the keyboard alone, with errors announced beside their fields", async ({
  page,
  db,
}) => {
  const name = uniq("Keyboard User");
  await page.goto("/");
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();

  // Reach "Get in touch" in the header by tabbing, then follow it with Enter.
  const cta = page.getByRole("banner").getByRole("link", { name: "Get in touch" });
  for (let i = 0; i < 15 && !(await cta.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press("Tab");
  }
  await expect(cta).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/#contact$/);

  const form = contactForm(page);
  const nameField = form.getByLabel("Name");
  await page.keyboard.press("Tab");
  await expect(nameField).toBeFocused();
  const outline = await nameField.evaluate(
    (el) => getComputedStyle(el).boxShadow + getComputedStyle(el).outlineStyle,
  );
  expect(outline).not.toBe("nonenone");

  // Submitting empty moves focus to the first problem, described by its message.
  for (let i = 0; i < 4; i++) await page.keyboard.press("Tab");
  await expect(form.getByRole("button", { name: "Send message" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(nameField).toBeFocused();
  await expect(nameField).toHaveAttribute("aria-invalid", "true");
  await expect(nameField).toHaveAccessibleDescription("Name is required");
  await expect(form.getByLabel("Work email")).toHaveAccessibleDescription("Email is required");

  await page.keyboard.type(name);
  await page.keyboard.press("Tab");
  await page.keyboard.type("keys@example.com");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await page.keyboard.type("Typed entirely from the keyboard, no mouse involved.");
  await page.keyboard.press("Tab");
  await expect(form.getByRole("button", { name: "Send message" })).toBeFocused();
  await waitForHumanFillTime(page);
  await page.keyboard.press("Enter");
  const done = page.getByRole("status").filter({ hasText: "Message sent." });
  await expect(done).toBeVisible();
  await expect(done).toBeFocused();

  const row = db.prepare("SELECT email FROM contact_messages WHERE name = ?").get(name) as
    { email: string } | undefined;
  expect(row?.email).toBe("keys@example.com");
});

test("inbox screenshot", async ({ page, request, signIn }) => {
  const samples = [
    [
      "Ada Lovelace",
      "ada@analytical.example",
      "Analytical Engines",
      "We run forty agents against GitHub and Stripe. The refund loop on your page happened to us last month — can we see a demo?",
    ],
    [
      "Linus Chen",
      "linus@k8s-ops.example",
      "Cluster Ops",
      "Does the gateway support one policy per upstream when we run six GitHub MCP servers across orgs?",
    ],
    [
      "Priya Raman",
      "priya@fintech.example",
      null,
      "We need approvals for any payout above $1,000 and a signed audit export for our SOC 2 auditors. Is that supported?",
    ],
  ] as const;
  // A token is good for one message: one per sample, all fetched before the fill-time wait.
  const tokens = await Promise.all(samples.map(() => formToken(request)));
  await page.waitForTimeout(MIN_FILL_MS);
  for (const [i, [name, email, company, message]] of samples.entries()) {
    const res = await postContact(request, {
      name,
      email,
      company,
      message,
      formToken: tokens[i],
    });
    expect(res.status()).toBe(200);
  }
  await signIn("admin");
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto("/console/inbox");
  await page.getByRole("button", { name: /Priya Raman/ }).click();
  await expect(
    page.getByRole("article").getByRole("heading", { name: "Priya Raman" }),
  ).toBeVisible();
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, "inbox.png"), fullPage: true });
});
