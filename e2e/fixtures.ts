import fs from "node:fs";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { hash } from "@node-rs/argon2";
import { test as base, expect, type Page } from "@playwright/test";
import Database from "better-sqlite3";

import { E2E } from "./settings";

export type Role = "admin" | "editor" | "viewer";

type Fixtures = {
  /** A raw handle on the test database, for setup and assertions. */
  db: Database.Database;
  /** Signs the page in as a user with `role` (created on first use) and returns the email. */
  signIn: (role: Role) => Promise<string>;
  /** An MCP client connected through the gateway as the demo agent (or with `key`). */
  mcpClient: (options?: { server?: string; key?: string }) => Promise<Client>;
  demoKey: string;
};

const emailFor = (role: Role) => (role === "admin" ? E2E.adminEmail : `${role}@portcullis.test`);

async function ensureUser(db: Database.Database, role: Role): Promise<string> {
  const email = emailFor(role);
  const found = db.prepare("SELECT id FROM users WHERE email = ?").get(email);
  if (!found) {
    const now = Date.now();
    db.prepare(
      `INSERT INTO users (id, email, name, password_hash, role, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(`usr_e2e${role}`, email, `E2E ${role}`, await hash(E2E.password), role, now, now);
  }
  return email;
}

export async function signInAs(page: Page, email: string, password = E2E.password) {
  await page.goto("/console/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/console(\/?$|\/(?!sign-in))/);
}

export const test = base.extend<Fixtures>({
  db: async ({}, use) => {
    const db = new Database(E2E.dbFile);
    db.pragma("busy_timeout = 5000");
    await use(db);
    db.close();
  },
  demoKey: async ({}, use) => {
    await use(fs.readFileSync(E2E.demoKeyFile, "utf8").trim());
  },
  signIn: async ({ page, db }, use) => {
    await use(async (role) => {
      const email = await ensureUser(db, role);
      await signInAs(page, email);
      return email;
    });
  },
  mcpClient: async ({ demoKey }, use) => {
    const clients: Client[] = [];
    await use(async ({ server = "everything", key = demoKey } = {}) => {
      const client = new Client({ name: "e2e-agent", version: "1.0.0" });
      const transport = new StreamableHTTPClientTransport(
        new URL(`${E2E.gatewayUrl}/mcp/${server}`),
        {
          requestInit: { headers: { Authorization: `Bearer ${key}` } },
        },
      );
      await client.connect(transport);
      // The SDK's close() leaves the session open on the gateway until it idles out, and the
      // demo agent may hold only so many: end it with a DELETE first, as a well-behaved agent does.
      const close = client.close.bind(client);
      client.close = async () => {
        await transport.terminateSession().catch(() => undefined);
        await close();
      };
      clients.push(client);
      return client;
    });
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  },
});

export { expect };
