import { expect, test } from "./fixtures";
import { callTool, decisionId, screenshot, textOf } from "./console-helpers";

test.describe("denied calls", () => {
  test("a denied call is granted from Denied calls and the identical call then succeeds", async ({
    page,
    signIn,
    mcpClient,
    db,
  }) => {
    const client = await mcpClient();
    const denied = await callTool(client, "get-resource-links", { count: 2 });
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toContain("not permitted");
    const id = decisionId(denied);

    await signIn("editor");
    await page.goto("/console/denied?tool=get-resource-links");
    const row = page.locator(`[data-event-id="${id}"]`);
    await expect(row).toContainText("not permitted");
    await screenshot(page, "denied");
    await row.getByRole("button", { name: /^Grant get-resource-links/ }).click();

    const dialog = page.getByRole("dialog", { name: "Grant this call" });
    await expect(dialog.getByLabel("Tool")).toHaveValue("get-resource-links");
    await expect(dialog.getByLabel("Agent")).toHaveValue("demo-agent");
    await dialog.getByLabel("Expires after").selectOption({ label: "24 hours" });
    await dialog.getByLabel("At most (calls)").fill("20");
    await dialog.getByLabel("Reason").fill("Needed for the e2e check");
    await screenshot(page, "grant-dialog");
    await dialog.getByRole("button", { name: "Save grant" }).click();
    await expect(page.getByText(/Granted get-resource-links to demo-agent/)).toBeVisible();

    const grant = db
      .prepare("SELECT * FROM grants WHERE tool_pattern = 'get-resource-links'")
      .get() as {
      rate_limit_max: number;
      expires_at: number;
      created_by: string;
    };
    expect(grant.rate_limit_max).toBe(20);
    expect(grant.expires_at).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(grant.created_by).toBe("editor@portcullis.test");

    const allowed = await callTool(client, "get-resource-links", { count: 2 });
    expect(allowed.isError).toBeFalsy();
    expect(textOf(allowed)).not.toContain("POLICY DENIED");
  });

  test("the deciding rule opens highlighted in the server's policy", async ({
    page,
    signIn,
    mcpClient,
  }) => {
    const client = await mcpClient();
    const denied = await callTool(client, "trigger-long-running-operation", {
      duration: 1,
      steps: 1,
    });
    const id = decisionId(denied);

    await signIn("viewer");
    await page.goto("/console/denied");
    const row = page.locator(`[data-event-id="${id}"]`);
    await expect(row).toContainText("no long-running operations");
    await expect(row.getByRole("button", { name: /^Grant/ })).toHaveCount(0);
    await row.getByRole("link", { name: /^Policy/ }).click();

    await expect(page.getByRole("heading", { name: "Policy for everything" })).toBeVisible();
    const marked = page.locator("[data-highlighted]");
    await expect(marked.first()).toContainText("name: no long-running operations");
    await expect(marked.last()).toContainText("reason: Long operations tie up the shared server");
    await screenshot(page, "policy");
  });
});
