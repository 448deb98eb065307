import { expect, test } from "./fixtures";
import { callTool, screenshot, textOf, unique } from "./console-helpers";

test.describe("approvals queue", () => {
  test("a call held for approval is approved in the queue and completes", async ({
    page,
    signIn,
    mcpClient,
    db,
  }) => {
    const a = 5000 + unique();
    const client = await mcpClient();
    const first = callTool(client, "get-sum", { a, b: 2 });

    const email = await signIn("editor");
    await page.goto("/console/approvals");
    const card = page
      .getByRole("article", { name: "Approval for get-sum by demo-agent" })
      .filter({ hasText: String(a) });
    await expect(card).toBeVisible();
    await expect(card).toContainText("large sums need a human");
    await screenshot(page, "approvals");
    await card.getByLabel("Comment").fill("checked the amount");
    await card.getByRole("button", { name: "Approve" }).click();
    await expect(card).toBeHidden();

    let result = await first;
    if (textOf(result).startsWith("[APPROVAL PENDING]"))
      result = await callTool(client, "get-sum", { a, b: 2 });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain(`The sum of ${a} and 2 is ${a + 2}`);

    const history = page.getByRole("table", { name: "Approval history" });
    const row = history.getByRole("row").filter({ hasText: "checked the amount" });
    await expect(row).toContainText(email);
    await expect(row).toContainText(/approved|consumed/);
    const audit = db
      .prepare(
        "SELECT actor_label FROM audit_events WHERE action = 'approval.approve' ORDER BY seq DESC",
      )
      .get() as { actor_label: string };
    expect(audit.actor_label).toBe(email);
  });
});
