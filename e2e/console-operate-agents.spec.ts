import { E2E } from "./settings";
import { expect, test } from "./fixtures";
import { INIT, shot, unique } from "./console-operate-helpers";

const initialize = (key: string) =>
  fetch(`${E2E.gatewayUrl}/mcp/everything`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${key}`,
    },
    body: JSON.stringify(INIT),
  });

test.describe("agents and keys", () => {
  test("an agent and key created in the console connect through the gateway; a revoked key is refused", async ({
    page,
    signIn,
    mcpClient,
    db,
  }) => {
    await signIn("admin");
    const name = `e2e-agent-${unique()}`;
    await page.goto("/console/agents");
    await expect(page.getByRole("heading", { name: "Agents", level: 1 })).toBeVisible();

    await page.getByRole("button", { name: "New agent" }).click();
    const create = page.getByRole("dialog", { name: "New agent" });
    await create.getByLabel("Name").fill(name);
    await create.getByLabel("Owner").fill("Platform team");
    await create.getByRole("button", { name: "Create agent" }).click();
    await expect(page.getByText(`Created agent ${name}`)).toBeVisible();
    const card = page
      .getByRole("listitem")
      .filter({ has: page.getByRole("heading", { name: new RegExp(name) }) });
    await expect(card).toContainText("No keys yet");

    await card.getByRole("button", { name: `New key for ${name}` }).click();
    const keyDialog = page.getByRole("dialog", { name: `New key for ${name}` });
    await keyDialog.getByLabel("Key name").fill("laptop");
    await keyDialog.getByRole("button", { name: "Create key" }).click();
    const reveal = page.getByRole("dialog", { name: `Key laptop for ${name}` });
    await expect(reveal.getByRole("alert")).toContainText("only time the key is shown");
    const key = await reveal.getByLabel("API key").inputValue();
    expect(key).toMatch(/^pcs_/);
    await shot(page, "agents-key-once");
    await reveal.getByRole("button", { name: "Done, I have stored it" }).click();
    await expect(reveal).toBeHidden();
    await expect(page.getByText(key)).toHaveCount(0);

    const keyRow = db
      .prepare(
        "SELECT k.id, k.prefix, k.key_hash FROM agent_keys k JOIN agents a ON a.id = k.agent_id WHERE a.name = ?",
      )
      .get(name) as {
      id: string;
      prefix: string;
      key_hash: string;
    };
    expect(key.startsWith(keyRow.prefix)).toBe(true);
    expect(keyRow.key_hash).not.toContain(key);
    await expect(card.getByRole("row", { name: /laptop/ })).toContainText(`${keyRow.prefix}…`);
    await expect(card.getByRole("row", { name: /laptop/ })).toContainText("Active");

    const client = await mcpClient({ key });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain("echo");

    expect(
      (
        db.prepare("SELECT last_used_at FROM agent_keys WHERE id = ?").get(keyRow.id) as {
          last_used_at: number | null;
        }
      ).last_used_at,
    ).not.toBeNull();
    await page.reload();
    await expect(card.getByRole("row", { name: /laptop/ })).toContainText(
      /\d{2}:\d{2}:\d{2}.*\d{2}:\d{2}:\d{2}/,
    );
    await shot(page, "agents");

    await card
      .getByRole("button", { name: `Revoke key laptop (${keyRow.prefix}) of ${name}` })
      .click();
    const confirm = page.getByRole("dialog", { name: "Revoke this key?" });
    await expect(confirm).toContainText(keyRow.prefix);
    await confirm.getByRole("button", { name: "Revoke key" }).click();
    await expect(page.getByText(/Revoked laptop/)).toBeVisible();
    await expect(card.getByRole("row", { name: /laptop/ })).toContainText("Revoked");

    expect((await initialize(key)).status).toBe(401);
    await expect(mcpClient({ key })).rejects.toThrow();
    await expect(client.listTools()).rejects.toThrow();

    const audit = db
      .prepare("SELECT action FROM audit_events WHERE target_id = ? ORDER BY seq")
      .all(keyRow.id) as { action: string }[];
    expect(audit.map((a) => a.action)).toEqual(["agent_key.create", "agent_key.revoke"]);
    const refusal = db
      .prepare(
        "SELECT reason FROM audit_events WHERE action = 'message.refuse' ORDER BY seq DESC LIMIT 1",
      )
      .get() as { reason: string };
    expect(refusal.reason).toBe("revoked key");
  });

  test("a disabled agent's keys are refused until it is enabled again", async ({
    page,
    signIn,
    db,
  }) => {
    await signIn("admin");
    const name = `e2e-disable-${unique()}`;
    await page.goto("/console/agents");
    await page.getByRole("button", { name: "New agent" }).click();
    await page.getByRole("dialog", { name: "New agent" }).getByLabel("Name").fill(name);
    await page
      .getByRole("dialog", { name: "New agent" })
      .getByRole("button", { name: "Create agent" })
      .click();
    const card = page
      .getByRole("listitem")
      .filter({ has: page.getByRole("heading", { name: new RegExp(name) }) });
    await card.getByRole("button", { name: `New key for ${name}` }).click();
    await page
      .getByRole("dialog", { name: `New key for ${name}` })
      .getByLabel("Key name")
      .fill("ci");
    await page
      .getByRole("dialog", { name: `New key for ${name}` })
      .getByRole("button", { name: "Create key" })
      .click();
    const key = await page
      .getByRole("dialog", { name: `Key ci for ${name}` })
      .getByLabel("API key")
      .inputValue();
    await page.getByRole("button", { name: "Done, I have stored it" }).click();
    expect((await initialize(key)).status).toBe(200);

    await card.getByRole("button", { name: `Disable ${name}` }).click();
    await page
      .getByRole("dialog", { name: "Disable this agent?" })
      .getByRole("button", { name: "Disable agent" })
      .click();
    await expect(card.getByText("Disabled", { exact: true })).toBeVisible();
    await expect(card.getByRole("button", { name: `New key for ${name}` })).toBeDisabled();
    expect((await initialize(key)).status).toBe(401);
    expect(
      (
        db.prepare("SELECT disabled_at FROM agents WHERE name = ?").get(name) as {
          disabled_at: number | null;
        }
      ).disabled_at,
    ).not.toBeNull();

    await card.getByRole("button", { name: `Enable ${name}` }).click();
    await expect(card.getByText("Enabled", { exact: true })).toBeVisible();
    expect((await initialize(key)).status).toBe(200);
  });
});
