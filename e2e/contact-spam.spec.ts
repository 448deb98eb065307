import { expect, test } from "./fixtures";
import { contactForm, resetContactLimit, uniq } from "./contact-helpers";

test.beforeEach(({ db }) => resetContactLimit(db));

test("a form sent within seconds (autofill, paste) is kept as suspected spam, never dropped", async ({
  page,
  signIn,
  db,
}) => {
  const name = uniq("Quick Filler");
  await page.goto("/");
  const form = contactForm(page);
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Work email").fill("fast@autofill.example");
  await form.getByLabel("Message").fill("Pasted in one go: can we cap refunds per agent?");
  // No pause: sent sooner than a person types.
  await form.getByRole("button", { name: "Send message" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Message sent." })).toBeVisible();

  const row = db.prepare("SELECT spam_reason FROM contact_messages WHERE name = ?").get(name) as
    { spam_reason: string | null } | undefined;
  expect(row).toEqual({ spam_reason: "too_fast" });

  await signIn("editor");
  await page.goto("/console/inbox");
  await page.getByRole("button", { name: /^Suspected spam/ }).click();
  const item = page.getByRole("button", { name: new RegExp(name) });
  await expect(item).toContainText("Suspected spam");
  await item.click();
  await expect(page.getByTestId("spam-notice")).toContainText("faster than most people type");
  await expect(page.getByTestId("message-body")).toContainText("cap refunds per agent");
});
