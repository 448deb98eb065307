import path from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Locator, Page } from "@playwright/test";

import { expect, test } from "./fixtures";
import { E2E } from "./settings";

const LAUNCHER = path.join(E2E.root, "bin", "portcullis.mjs");
const ENDPOINT = `${E2E.gatewayUrl}/mcp/everything`;
const SHOTS = path.join(E2E.root, "reports", "screenshots", "widths");

type Entry = { url?: string; headers?: Record<string, string>; command?: string; args?: string[] };

/** Picks a client's tab, presses its copy button and returns what landed on the clipboard. */
async function copyConfig(page: Page, scope: Locator, label: string): Promise<string> {
  await scope.getByRole("tab", { name: label }).click();
  await expect(scope.getByRole("tab", { name: label })).toHaveAttribute("aria-selected", "true");
  await scope.getByRole("button", { name: `Copy the ${label} configuration` }).click();
  await expect(scope.getByRole("button", { name: `Copy the ${label} configuration` })).toHaveText(
    /Copied/,
  );
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(await scope.getByTestId("client-config-text").textContent());
  return copied;
}

const entry = (text: string): Entry =>
  (JSON.parse(text) as { mcpServers: Record<string, Entry> }).mcpServers.everything ?? {};

test.beforeEach(async ({ context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"], {
    origin: E2E.consoleUrl,
  });
});

test("a new key's dialog offers configurations with the key in them, and the copied one connects", async ({
  page,
  signIn,
}) => {
  await signIn("admin");
  const name = `config-agent-${Date.now().toString(36)}`;
  await page.goto("/console/agents");
  await page.getByRole("button", { name: "New agent" }).click();
  const create = page.getByRole("dialog", { name: "New agent" });
  await create.getByLabel("Name").fill(name);
  await create.getByRole("button", { name: "Create agent" }).click();
  const card = page
    .getByRole("listitem")
    .filter({ has: page.getByRole("heading", { name: new RegExp(name) }) });
  await card.getByRole("button", { name: `New key for ${name}` }).click();
  const keyDialog = page.getByRole("dialog", { name: `New key for ${name}` });
  await keyDialog.getByLabel("Key name").fill("desktop");
  await keyDialog.getByRole("button", { name: "Create key" }).click();
  const reveal = page.getByRole("dialog", { name: `Key desktop for ${name}` });
  const key = await reveal.getByLabel("API key").inputValue();
  const configs = reveal.getByTestId("client-configs");
  await expect(configs.getByRole("tab")).toHaveText([
    "Claude Desktop",
    "Claude Code",
    "Cursor",
    "Streamable HTTP",
    "stdio command",
  ]);

  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(SHOTS, `key-dialog-${width}.png`) });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      width,
    );
  }

  const code = entry(await copyConfig(page, configs, "Claude Code"));
  expect(code).toEqual({
    type: "http",
    url: ENDPOINT,
    headers: { Authorization: `Bearer ${key}` },
  });
  const desktop = entry(await copyConfig(page, configs, "Claude Desktop"));
  expect(desktop.command).toMatch(/^\/.*node$/);
  expect(desktop.args).toEqual([LAUNCHER, "run", "--server", "everything"]);
  expect(JSON.stringify(desktop)).toContain(key);
  const stdio = await copyConfig(page, configs, "stdio command");
  expect(stdio.replace(/ \\\n\s+/g, " ")).toContain(`${LAUNCHER} run --server everything`);
  expect(stdio).not.toContain("npx");

  // The copied Claude Code entry is a working connection: the new agent reaches the gateway.
  const client = new Client({ name: "copied-config", version: "0.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(code.url ?? ""), {
      requestInit: { headers: code.headers },
    }),
  );
  await client.listTools();
  await client.close();

  await reveal.getByRole("button", { name: "Done, I have stored it" }).click();
  await expect(page.getByText(key)).toHaveCount(0);
});

test("the agent page lists effective permissions per server and configurations with a placeholder", async ({
  page,
  signIn,
  db,
  mcpClient,
}) => {
  const client = await mcpClient();
  const listed = await client.listTools();
  await client.close();
  const agent = db.prepare("SELECT id FROM agents WHERE name = 'demo-agent'").get() as {
    id: string;
  };
  const inventory = db
    .prepare(
      "SELECT count(*) AS n FROM tools t JOIN upstreams u ON u.id = t.upstream_id WHERE u.name = 'everything'",
    )
    .get() as { n: number };

  await signIn("viewer");
  await page.goto("/console/agents");
  await page.getByRole("link", { name: "demo-agent" }).click();
  await expect(page).toHaveURL(new RegExp(`/console/agents/${agent.id}$`));
  await expect(page.getByRole("heading", { name: "demo-agent", level: 1 })).toBeVisible();

  const table = page.getByRole("table", {
    name: "Effective permissions of demo-agent on everything",
  });
  await expect(table.locator("tbody tr")).toHaveCount(inventory.n);
  // What the demo agent lists through the gateway is exactly what the page calls listed.
  const listedNames = listed.tools.map((t) => t.name).sort();
  const shownListed: string[] = [];
  for (const row of await table.locator("tbody tr").all()) {
    if ((await row.getByText("Listed", { exact: true }).count()) > 0)
      shownListed.push((await row.getAttribute("data-testid"))?.replace("permission-", "") ?? "");
  }
  expect(shownListed.sort()).toEqual(listedNames);

  const configs = page.getByTestId("client-configs");
  const cursor = entry(await copyConfig(page, configs, "Cursor"));
  expect(cursor).toEqual({
    url: ENDPOINT,
    headers: { Authorization: "Bearer pcs_PASTE_THE_AGENT_KEY_HERE" },
  });
  await expect(configs).toContainText("keys are shown only once");

  await page.goto(`/console/agents/agt_doesnotexist`);
  await expect(page.getByText(/not found|404/i).first()).toBeVisible();
});

test("the quick start shows the same generator's configurations, without npx", async ({ page }) => {
  await page.goto("/quickstart");
  const configs = page.getByTestId("client-configs");
  await expect(configs.getByRole("tab")).toHaveCount(5);
  await configs.getByRole("tab", { name: "Claude Desktop" }).click();
  await expect(configs.getByTestId("client-config-text")).toContainText(
    "/path/to/portcullis/bin/portcullis.mjs",
  );
  await expect(page.locator("main, article").first()).not.toContainText("npx portcullis run");
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: path.join(SHOTS, "quickstart-390.png"), fullPage: true });
});
