import type { APIRequestContext, Page } from "@playwright/test";
import type Database from "better-sqlite3";

import { E2E } from "./settings";

/** The server drops forms posted sooner than this after the token was issued (bots post at once). */
export const MIN_FILL_MS = 3_100;

export const uniq = (label: string) =>
  `${label}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

/** Every test starts with an unused per-address contact budget (all tests come from 127.0.0.1). */
export function resetContactLimit(db: Database.Database) {
  db.prepare("DELETE FROM counter_events WHERE key >= 'contact:' AND key < 'contact;'").run();
}

export async function formToken(request: APIRequestContext): Promise<string> {
  const res = await request.get("/api/v1/contact");
  const body = (await res.json()) as { data: { formToken: string } };
  return body.data.formToken;
}

export function postContact(request: APIRequestContext, data: Record<string, unknown>) {
  return request.post("/api/v1/contact", { headers: { origin: E2E.consoleUrl }, data });
}

/** Waits until the form has been open long enough for a person to have filled it. */
export async function waitForHumanFillTime(page: Page) {
  await page.waitForTimeout(MIN_FILL_MS);
}

export function contactForm(page: Page) {
  return page.getByRole("form", { name: "Get in touch" });
}
