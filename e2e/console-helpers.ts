import fs from "node:fs";
import path from "node:path";

import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { expect, type Page } from "@playwright/test";

import { E2E } from "./settings";

export const SCREENSHOTS = path.join(E2E.root, "reports", "screenshots");

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `console-${name}.png`), fullPage: true });
}

/** The signed-in page's CSRF token, as the console's own scripts get it. */
export async function csrfToken(page: Page): Promise<string> {
  const res = await page.request.get("/api/v1/auth/me");
  expect(res.status()).toBe(200);
  return ((await res.json()) as { data: { csrfToken: string } }).data.csrfToken;
}

/** A same-origin JSON mutation from the signed-in page's cookie jar. */
export function mutate(
  page: Page,
  method: "POST" | "PATCH" | "DELETE",
  url: string,
  data: unknown,
  csrf?: string,
) {
  const headers: Record<string, string> = {
    origin: E2E.consoleUrl,
    "content-type": "application/json",
  };
  if (csrf) headers["x-csrf-token"] = csrf;
  return page.request.fetch(url, { method, headers, data: JSON.stringify(data) });
}

export type ToolResult = { isError?: boolean; content?: { type: string; text?: string }[] };

export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<ToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, {
    timeout: 60_000,
  })) as ToolResult;
}

export const textOf = (r: ToolResult) => (r.content ?? []).map((c) => c.text ?? "").join(" ");

/** The decision id a refusal names ("… (decision evt_…)"). */
export function decisionId(r: ToolResult): string {
  const m = /evt_[a-z0-9]+/.exec(textOf(r));
  if (!m) throw new Error(`no decision id in: ${textOf(r)}`);
  return m[0];
}

export const unique = () => Math.floor(Math.random() * 1_000_000);
