import { expect, test } from "./fixtures";
import { callTool, csrfToken, screenshot, unique } from "./console-helpers";

test.describe("audit search and verification", () => {
  test("free text finds a call by a word of its arguments; Verify reports progress, then the verdict", async ({
    page,
    signIn,
    mcpClient,
  }) => {
    const word = `zebra${unique()}`;
    const client = await mcpClient();
    await callTool(client, "echo", { message: `crossing ${word} now` });

    await signIn("editor");
    await page.goto(`/console/audit?q=${word.slice(0, -2)}`);
    const rows = page.getByTestId("audit-rows");
    await expect(rows.getByRole("row").filter({ hasText: "echo" }).first()).toBeVisible();
    await page.goto(`/console/audit?q=${word}-absent-word`);
    await expect(rows.getByRole("row")).toHaveCount(0);

    // The streamed answer: progress lines, then the verdict.
    const res = await page.request.post("/api/v1/audit/verify?progress=1", {
      headers: { "x-csrf-token": await csrfToken(page), origin: new URL(page.url()).origin },
    });
    expect(res.headers()["content-type"]).toContain("application/x-ndjson");
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, { ok?: boolean; done?: number; total?: number }>);
    expect(lines.some((l) => l.progress && l.progress.done === l.progress.total)).toBe(true);
    expect(lines.at(-1)?.data?.ok).toBe(true);

    await page.goto("/console/audit");
    await page.getByRole("button", { name: "Verify chain" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Chain intact" })).toBeVisible();
    await screenshot(page, "audit-verified");
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "audit-verified-phone");
  });

  test("the dashboard shows its figures for 1 hour, 24 hours or 7 days", async ({
    page,
    signIn,
    mcpClient,
  }) => {
    const client = await mcpClient();
    await callTool(client, "get-sum", { a: 1, b: 2 });
    await signIn("viewer");
    await expect(page.getByText("Calls and denials per minute, last hour")).toBeVisible();
    // The figures arriving proves the page is hydrated, so the choice below reaches React.
    await expect(page.getByLabel("Traffic summary")).toContainText("in the last hour");
    await page.getByLabel("Window").selectOption({ label: "7 days" });
    await expect(page.getByText("Calls and denials per hour, last 7 days")).toBeVisible();
    await expect(page.getByLabel("Traffic summary")).toContainText("in the last 7 days");
    await screenshot(page, "dashboard-7-days");
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "dashboard-7-days-phone");
  });
});
