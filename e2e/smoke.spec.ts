import { E2E } from "./settings";
import { expect, test } from "./fixtures";

test.describe("smoke: both processes on one database", () => {
  test("the console answers", async ({ page }) => {
    const res = await page.goto("/console/sign-in");
    expect(res?.status()).toBe(200);
    await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  });

  test("the gateway reports healthy", async ({ request }) => {
    const res = await request.get(`${E2E.gatewayUrl}/healthz`);
    expect(res.status()).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", database: "ok" });
  });

  test("the demo agent lists the demo server's tools through the gateway", async ({ mcpClient, db }) => {
    const client = await mcpClient();
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain("echo");
    expect(names.length).toBeGreaterThan(3);
    const inventory = db.prepare("SELECT count(*) AS n FROM tools").get() as { n: number };
    expect(inventory.n).toBeGreaterThanOrEqual(names.length);
  });

  test("a call without a key is refused before any MCP handling", async ({ request }) => {
    const res = await request.post(`${E2E.gatewayUrl}/mcp/everything`, {
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      data: { jsonrpc: "2.0", id: 1, method: "initialize", params: {} },
    });
    expect(res.status()).toBe(401);
  });
});
