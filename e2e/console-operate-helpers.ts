import fs from "node:fs";
import path from "node:path";

import { expect, type Page } from "@playwright/test";

import { E2E } from "./settings";

const SHOTS = path.join(E2E.root, "reports", "screenshots");

export async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `console-operate-${name}.png`), fullPage: true });
}

/** A same-origin API call from the signed-in page, with the session's CSRF token on mutations. */
export async function api(
  page: Page,
  method: "GET" | "POST" | "PATCH" | "DELETE",
  url: string,
  data?: unknown,
) {
  const headers: Record<string, string> = {
    origin: E2E.consoleUrl,
    "content-type": "application/json",
  };
  if (method !== "GET") {
    const me = await page.request.get("/api/v1/auth/me");
    expect(me.status()).toBe(200);
    headers["x-csrf-token"] = ((await me.json()) as { data: { csrfToken: string } }).data.csrfToken;
  }
  return page.request.fetch(url, {
    method,
    headers,
    data: data === undefined ? undefined : JSON.stringify(data),
  });
}

/** An agent of its own with one key (through the API), so rate limits of shared agents don't interfere. */
export async function agentWithKey(
  page: Page,
  name: string,
): Promise<{ agentId: string; key: string }> {
  const created = await api(page, "POST", "/api/v1/agents", { name });
  expect(created.status()).toBe(200);
  const agentId = ((await created.json()) as { data: { id: string } }).data.id;
  const issued = await api(page, "POST", `/api/v1/agents/${agentId}/keys`, { name: "e2e" });
  expect(issued.status()).toBe(200);
  return { agentId, key: ((await issued.json()) as { data: { key: string } }).data.key };
}

/** Replaces the whole document of the CodeMirror editor on the page. */
export async function setEditorText(page: Page, text: string): Promise<void> {
  const content = page.locator(".cm-content");
  await content.click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.press("Delete");
  await content.fill(text);
}

export const INIT = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "e2e", version: "1" },
  },
};

export const unique = () => Math.random().toString(36).slice(2, 8);
