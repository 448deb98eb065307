import { spawnSync } from "node:child_process";
import path from "node:path";

import { expect, test } from "./fixtures";
import { callTool, screenshot } from "./console-helpers";
import { E2E } from "./settings";

test("Verify shows the last signed checkpoint it reached; checkpoints and public key download", async ({
  page,
  signIn,
  mcpClient,
  request,
}) => {
  const client = await mcpClient();
  await callTool(client, "get-sum", { a: 2, b: 3 });
  await callTool(client, "echo", { message: "sealed by a checkpoint" });

  // The operator signs the head now, as a cron job would between automatic checkpoints.
  const signed = spawnSync(
    process.execPath,
    [path.join(E2E.root, "bin/portcullis.mjs"), "audit", "checkpoint"],
    { env: { ...process.env, PORTCULLIS_DB: E2E.dbFile }, encoding: "utf8" },
  );
  expect(signed.status, signed.stderr).toBe(0);
  const checkpoint = JSON.parse(signed.stdout) as { seq: number; keyId: string; alg: string };
  expect(checkpoint.alg).toBe("Ed25519");

  await signIn("viewer");
  await page.goto("/console/audit");
  const panel = page.getByRole("region", { name: "Audit integrity" });
  await expect(panel).toContainText(`#${checkpoint.seq.toLocaleString("en-US")}`);
  await expect(panel).toContainText(checkpoint.keyId);
  await expect(panel).toContainText("every 10,000 rows or 10 min");

  await page.getByRole("button", { name: "Verify chain" }).click();
  const result = page.getByRole("status").filter({ hasText: "Chain intact." });
  await expect(result).toContainText(
    `Consistent with the last signed checkpoint #${checkpoint.seq.toLocaleString("en-US")}`,
  );
  await expect(result).toContainText(/checkpoint signatures? checked/);
  await screenshot(page, "audit-integrity");
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, "audit-integrity-phone");

  const jsonl = await page.request.get("/api/v1/audit/checkpoints");
  expect(jsonl.status()).toBe(200);
  const lines = (await jsonl.text()).trim().split("\n");
  expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toContain(checkpoint.seq);
  const pem = await page.request.get("/api/v1/audit/checkpoints/public-key");
  expect(await pem.text()).toMatch(/^-----BEGIN PUBLIC KEY-----/);

  // Signed out, none of it is served.
  const anonymous = await request.get("/api/v1/audit/integrity");
  expect([401, 403]).toContain(anonymous.status());
});
