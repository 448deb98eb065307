import type { Page } from "@playwright/test";

import { callTool, csrfToken, decisionId, mutate, screenshot, textOf } from "./console-helpers";
import { expect, test } from "./fixtures";

const count = (db: { prepare: (s: string) => { get: () => unknown } }, table: string) =>
  (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

async function openTryOut(page: Page) {
  await page.goto("/console/policies/everything/edit");
  const tryOut = page.getByTestId("policy-try-out");
  await expect(tryOut.getByRole("heading", { name: "Try before saving" })).toBeVisible();
  return tryOut;
}

test.describe("policy editor: test a call and replay", () => {
  test("a test call shows the decision, the rule, the agent's exact reply and the counters, and writes nothing", async ({
    page,
    signIn,
    mcpClient,
    db,
  }) => {
    const client = await mcpClient();
    await client.listTools();
    await callTool(client, "echo", { message: "warm-up" });

    await signIn("viewer");
    const tryOut = await openTryOut(page);
    await tryOut.getByLabel("Tool").selectOption("echo");
    const args = tryOut.getByLabel("Arguments (JSON)");
    await expect(args).toHaveValue(/"message": ""/);

    await args.fill("{message: oops}");
    await tryOut.getByRole("button", { name: "Test call" }).click();
    await expect(tryOut.getByText(/Arguments are not valid JSON/)).toBeVisible();

    const before = ["audit_events", "counter_events"].map((t) => count(db, t));
    await args.fill('{"message": "my password is hunter2"}');
    await tryOut.getByRole("button", { name: "Test call" }).click();
    const result = tryOut.getByTestId("dry-run-result");
    await expect(result).toContainText("Denied");
    await expect(result).toContainText("no credentials in echo");
    const reply = await result.getByTestId("dry-run-reply").innerText();
    expect(["audit_events", "counter_events"].map((t) => count(db, t))).toEqual(before);

    const real = await callTool(client, "echo", { message: "my password is hunter2" });
    expect(reply).toBe(textOf(real).replace(decisionId(real), "evt_…"));

    await args.fill('{"message": "hello"}');
    await tryOut.getByRole("button", { name: "Test call" }).click();
    await expect(result).toContainText("Allowed");
    await expect(result).toContainText("forwarded to everything");
    const counter = result.getByRole("row", { name: /echo rate limit/ });
    await expect(counter).toContainText("per minute (UTC)");
    await expect(counter.getByRole("cell").nth(3)).toHaveText("10");
    await screenshot(page, "policy-test-call");
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "policy-test-call-phone");
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 900 });

    await tryOut.getByRole("tab", { name: "Replay recent calls" }).click();
    await tryOut.getByRole("button", { name: "Replay" }).click();
    const report = tryOut.getByTestId("replay-result");
    await expect(report).toContainText("Unchanged");
    await expect(report).toContainText(/calls of everything/);
    await screenshot(page, "policy-replay");
  });

  test("a grant that cannot help says so and points to the fix; one that helps is saved and works", async ({
    page,
    signIn,
    mcpClient,
    db,
  }) => {
    const client = await mcpClient();
    const hidden = decisionId(await callTool(client, "get-env", {}));
    const condition = decisionId(await callTool(client, "echo", { message: "my token is x" }));
    const listed = new Set(["echo", "get-sum", "get-env", "get-resource-links"]);
    const unlisted = (db.prepare("SELECT name FROM tools").all() as { name: string }[])
      .map((t) => t.name)
      .find(
        (n) =>
          !listed.has(n) &&
          !n.startsWith("get-annotated") &&
          !n.startsWith("get-structured") &&
          !n.startsWith("trigger-") &&
          !n.startsWith("gzip-"),
      );
    if (!unlisted) throw new Error("the demo server lists no tool the policy leaves out");
    const refused = await callTool(client, unlisted, {});
    expect(textOf(refused)).toContain("not permitted");
    const notPermitted = decisionId(refused);

    await signIn("editor");
    const grantDialog = async (id: string, tool: string) => {
      await page.goto(`/console/denied?tool=${encodeURIComponent(tool)}`);
      await page
        .locator(`[data-event-id="${id}"]`)
        .getByRole("button", { name: new RegExp(`^Grant ${tool}`) })
        .click();
      return page.getByRole("dialog", { name: "Grant this call" });
    };

    let dialog = await grantDialog(hidden, "get-env");
    await expect(dialog.getByTestId("grant-check")).toContainText(
      "This grant would not change the decision",
    );
    await expect(dialog).toContainText("no grant overrides");
    await expect(dialog.getByRole("link", { name: /Edit the hide list/ })).toHaveAttribute(
      "href",
      "/console/policies/everything/edit",
    );
    await expect(dialog.getByRole("button", { name: "Save grant" })).toBeDisabled();
    await screenshot(page, "grant-dialog-hidden");
    await dialog.getByRole("button", { name: "Cancel" }).click();

    dialog = await grantDialog(condition, "echo");
    await expect(dialog.getByTestId("grant-check")).toContainText(
      "Messages that look like credentials are not echoed",
    );
    const fix = dialog.getByRole("link", { name: /Edit the rule/ });
    await expect(fix).toHaveAttribute("href", /rule=no%20credentials%20in%20echo/);
    await expect(dialog.getByRole("button", { name: "Save grant" })).toBeDisabled();
    await dialog.getByRole("button", { name: "Cancel" }).click();

    dialog = await grantDialog(notPermitted, unlisted);
    await expect(dialog.getByTestId("grant-check")).toContainText(
      "With this grant the next identical call goes through",
    );
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "grant-dialog-phone");
    await page.setViewportSize({ width: 1280, height: 900 });
    await dialog.getByRole("button", { name: "Save grant" }).click();
    await expect(page.getByText(new RegExp(`Granted ${unlisted} to demo-agent`))).toBeVisible();
    expect(textOf(await callTool(client, unlisted, {}))).not.toContain("POLICY DENIED");
  });

  test("the API checks roles and CSRF, and streams replay progress as NDJSON", async ({
    page,
    signIn,
    db,
  }) => {
    const { id: upstreamId } = db
      .prepare("SELECT id FROM upstreams WHERE name = 'everything'")
      .get() as { id: string };
    const { id: agentId } = db.prepare("SELECT id FROM agents LIMIT 1").get() as { id: string };
    await signIn("viewer");
    const csrf = await csrfToken(page);
    const dryRun = `/api/v1/upstreams/${upstreamId}/policy/dry-run`;
    const body = { agentId, tool: "echo", arguments: '{"message":"hi"}' };
    expect((await mutate(page, "POST", dryRun, body)).status()).toBe(403);
    const ok = await mutate(page, "POST", dryRun, body, csrf);
    expect(ok.status()).toBe(200);
    expect(((await ok.json()) as { data: { decision: string } }).data.decision).toBe("allow");
    const bad = await mutate(page, "POST", dryRun, { ...body, arguments: "[" }, csrf);
    expect(bad.status()).toBe(400);
    expect(await bad.text()).toContain("Arguments are not valid JSON");
    expect(
      (
        await mutate(
          page,
          "POST",
          "/api/v1/grants/check",
          { eventId: "evt_x", toolPattern: "x" },
          csrf,
        )
      ).status(),
    ).toBe(403);

    const replay = await mutate(
      page,
      "POST",
      `/api/v1/upstreams/${upstreamId}/policy/replay`,
      { limit: 100 },
      csrf,
    );
    expect(replay.headers()["content-type"]).toContain("application/x-ndjson");
    const lines = (await replay.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string });
    expect(lines[0]?.type).toBe("progress");
    expect(lines.at(-1)?.type).toBe("result");
    const tooMany = await mutate(
      page,
      "POST",
      `/api/v1/upstreams/${upstreamId}/policy/replay`,
      { limit: 100_001 },
      csrf,
    );
    expect(tooMany.status()).toBe(400);
    // A viewer replays saved policies only: a draft would be an oracle on masked arguments.
    const withDraft = await mutate(
      page,
      "POST",
      `/api/v1/upstreams/${upstreamId}/policy/replay`,
      { limit: 10, draft: 'version: "1"\ndefault: allow\n' },
      csrf,
    );
    expect(withDraft.status()).toBe(403);
  });
});
