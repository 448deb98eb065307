import fs from "node:fs";
import path from "node:path";

import type { Page } from "@playwright/test";
import type Database from "better-sqlite3";

import { expect, test } from "./fixtures";
import { E2E } from "./settings";

const SHOTS = path.join(E2E.root, "reports", "screenshots", "widths");
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

/** Every console page: the sidebar's links plus the detail pages behind them. */
async function consolePages(page: Page, db: Database.Database): Promise<string[]> {
  await page.goto("/console");
  const nav = await page
    .locator('nav[aria-label="Console"] a')
    .evaluateAll((links) => links.map((a) => new URL((a as HTMLAnchorElement).href).pathname));
  const agent = db.prepare("SELECT id FROM agents WHERE name = 'demo-agent'").get() as {
    id: string;
  };
  const details = [
    "/console/servers/everything",
    "/console/policies/everything",
    "/console/policies/everything/edit",
    `/console/agents/${agent.id}`,
  ];
  const account = await page.locator('a[href="/console/account"]').count();
  return [...new Set([...nav, ...details, ...(account > 0 ? ["/console/account"] : [])])];
}

async function settle(page: Page, url: string): Promise<void> {
  const res = await page.goto(url);
  expect(res?.status(), url).toBeLessThan(400);
  await expect(page.locator("main h1").first()).toBeVisible();
  // Data-driven pages fill in after the first paint; measure what the user ends up with.
  await page
    .waitForLoadState("networkidle", { timeout: 3_000 })
    .catch(() => undefined /* live pages keep a stream open */);
}

const shotName = (url: string) =>
  url.replace(/^\/console\/?/, "").replace(/[^a-z0-9]+/gi, "-") || "dashboard";

test("no console page scrolls sideways at 390 px; every page is captured at 390 and 1280", async ({
  page,
  signIn,
  db,
  mcpClient,
}) => {
  test.setTimeout(180_000);
  // Traffic first, so tables and charts have rows to lay out.
  const client = await mcpClient();
  await client.listTools();
  await client.callTool({
    name: "echo",
    arguments: { message: "a fairly long message to lay out" },
  });
  await client.callTool({ name: "get-env", arguments: {} });
  await client.close();

  await signIn("admin");
  const pages = await consolePages(page, db);
  expect(pages.length).toBeGreaterThanOrEqual(14);
  fs.mkdirSync(SHOTS, { recursive: true });

  const overflowing: string[] = [];
  for (const url of pages) {
    await page.setViewportSize(PHONE);
    await settle(page, url);
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    }));
    if (scrollWidth > innerWidth) overflowing.push(`${url}: ${scrollWidth} > ${innerWidth}`);
    await page.screenshot({ path: path.join(SHOTS, `${shotName(url)}-390.png`), fullPage: true });

    await page.setViewportSize(DESKTOP);
    await settle(page, url);
    await page.screenshot({ path: path.join(SHOTS, `${shotName(url)}-1280.png`), fullPage: true });
  }
  expect(overflowing).toEqual([]);
});

test("at 390 px the sidebar is a menu that opens and closes; at 1280 px it is always there", async ({
  page,
  signIn,
}) => {
  await page.setViewportSize(PHONE);
  await signIn("editor");
  await page.goto("/console/audit");
  const menu = page.getByRole("button", { name: "Menu", exact: true });
  const sidebar = page.locator("#console-sidebar");
  await expect(menu).toBeVisible();
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  await expect(sidebar).toBeHidden();

  await menu.click();
  await expect(menu).toHaveAttribute("aria-expanded", "true");
  await expect(sidebar.getByRole("link", { name: "Servers" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Close menu" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(sidebar).toBeHidden();
  await expect(menu).toBeFocused();

  await menu.click();
  await page.getByTestId("menu-backdrop").click({ position: { x: 370, y: 400 } });
  await expect(sidebar).toBeHidden();

  await menu.click();
  await page.getByRole("button", { name: "Close menu" }).click();
  await expect(sidebar).toBeHidden();

  await menu.click();
  await sidebar.getByRole("link", { name: "Servers" }).click();
  await expect(page).toHaveURL(/\/console\/servers$/);
  await expect(page.getByRole("heading", { name: "Servers", level: 1 })).toBeVisible();
  await expect(sidebar).toBeHidden();
  await expect(menu).toHaveAttribute("aria-expanded", "false");

  await page.setViewportSize(DESKTOP);
  await expect(menu).toBeHidden();
  await expect(sidebar.getByRole("link", { name: "Servers" })).toBeVisible();
});
