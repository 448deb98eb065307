import { expect, test } from "./fixtures";
import { callTool, screenshot } from "./console-helpers";

test("every console page renders its finished state", async ({ page, signIn, mcpClient }) => {
  const client = await mcpClient();
  const calls: [string, Record<string, unknown>][] = [
    ["get-sum", { a: 2, b: 3 }],
    ["echo", { message: "Summarise yesterday's tickets" }],
    ["get-structured-content", { location: "Chicago" }],
    ["get-env", {}],
    ["echo", { message: "my password is hunter2" }],
    ["get-sum", { a: "two", b: 3 }],
    ["get-annotated-message", { messageType: "success" }],
    ["gzip-file-as-resource", { name: "x.gz", data: "https://example.com/x" }],
    ["get-tiny-image", {}],
    ["get-sum", { a: 40, b: 2 }],
  ];
  for (const [name, args] of calls) await callTool(client, name, args);

  await signIn("admin");
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(page.getByTestId("live-feed").getByRole("row")).not.toHaveCount(0);
  await expect(
    page
      .getByRole("region")
      .or(page.locator("section"))
      .filter({ hasText: "Top denied tools" })
      .getByText("get-env"),
  ).toBeVisible();
  await screenshot(page, "dashboard");

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
