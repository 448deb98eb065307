import { expect, test } from "./fixtures";
import { screenshot } from "./console-helpers";

test("every console page renders its finished state", async ({ page, signIn }) => {
  await signIn("admin");
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  await page.goto("/console/audit");
  await expect(page.getByTestId("audit-rows")).toBeVisible();
  await page.getByRole("button", { name: "Verify chain" }).click();
  await expect(page.getByText("Chain intact.")).toBeVisible();
  await screenshot(page, "audit");

  await page.goto("/console/users");
  await page.getByRole("button", { name: "Add user" }).click();
  const dialog = page.getByRole("dialog", { name: "Add a console user" });
  await dialog.getByLabel("Email").fill(`new-${Date.now()}@portcullis.test`);
  await dialog.getByLabel("Name").fill("New Person");
  await dialog.getByLabel("Password").fill("too short");
  await dialog.getByRole("button", { name: "Create user" }).click();
  await expect(dialog.getByText("Password must be at least 12 characters")).toBeVisible();
  await dialog.getByLabel("Password").fill("a much longer password");
  await dialog.getByRole("button", { name: "Create user" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("table", { name: "Console users" })).toContainText("New Person");
  await screenshot(page, "users");

  await page.getByLabel(`Role of ${"admin@portcullis.test"}`).selectOption("viewer");
  await expect(page.getByText("You can't demote or disable the last admin")).toBeVisible();
});
