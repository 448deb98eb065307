import { expect, test } from "./fixtures";
import { callTool, screenshot, textOf, unique } from "./console-helpers";

test.describe("live dashboard", () => {
  test("a tool call made through the gateway appears without a reload", async ({
    page,
    signIn,
    mcpClient,
  }) => {
    await signIn("viewer");
    await expect(page.getByRole("status", { name: "Stream live" })).toBeVisible();
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });
    const a = 100 + (unique() % 800);
    const client = await mcpClient();
    const result = await callTool(client, "get-sum", { a, b: 1 });
    expect(textOf(result)).toContain(`${a + 1}`);

    const feed = page.getByTestId("live-feed");
    const row = feed.getByRole("row").filter({ hasText: "get-sum" }).first();
    await expect(row).toBeVisible();
    await expect(row).toContainText("Allowed");
    await expect(row).toContainText("success");
    expect(
      await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
    ).toBe(true);

    await row.getByRole("button", { name: "get-sum" }).click();
    const drawer = page.getByRole("dialog");
    await expect(drawer).toContainText("tool_call.decide");
    await expect(drawer.getByLabel("Arguments")).toContainText("[REDACTED]");
    await expect(drawer.getByLabel("Arguments")).not.toContainText(String(a));
    await page.keyboard.press("Escape");
    await expect(drawer).toBeHidden();

    await page.getByRole("button", { name: "Pause" }).click();
    await expect(page.getByRole("status", { name: "Stream paused" })).toBeVisible();
    await page.getByRole("button", { name: "Resume" }).click();
    await expect(page.getByRole("status", { name: "Stream live" })).toBeVisible();
    await screenshot(page, "dashboard-live");
  });

  test("an XSS payload in tool arguments renders as inert text", async ({
    page,
    signIn,
    mcpClient,
  }) => {
    const payload = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>"><svg onload=window.__xss=3>`;
    const client = await mcpClient();
    await callTool(client, "echo", {
      message: payload,
      [`<b onmouseover=window.__xss=4>k</b>`]: "v",
    });

    await signIn("editor");
    await page.goto("/console/audit?view=decisions&tool=echo");
    const rows = page.getByTestId("audit-rows");
    await expect(rows.getByRole("row").first()).toBeVisible();
    await rows.getByRole("row").first().getByRole("button").click();
    const args = page.getByRole("dialog").getByLabel("Arguments");
    await expect(args).toContainText("<img src=x onerror=");
    await expect(args).toContainText("<script>window.__xss=2</script>");
    expect(await page.locator("img[src='x'], svg[onload], b[onmouseover]").count()).toBe(0);
    expect(
      await page.evaluate(() => (window as unknown as { __xss?: number }).__xss),
    ).toBeUndefined();
    await screenshot(page, "event-drawer-xss");
  });
});
