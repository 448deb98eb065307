import { createHash } from "node:crypto";

import { expect, test } from "./fixtures";
import { agentWithKey, shot, unique } from "./console-operate-helpers";
import { E2E } from "./settings";

type ToolRow = {
  id: string;
  name: string;
  definition: string;
  definition_hash: string;
  status: string;
};

test.describe("servers, tool inventory and grants", () => {
  test("an admin adds servers with argument lists (never a shell line), and disables one", async ({
    page,
    signIn,
    db,
  }) => {
    await signIn("admin");
    const http = `e2e-remote-${unique()}`;
    const stdio = `e2e-local-${unique()}`;
    await page.goto("/console/servers");
    await expect(page.getByRole("table", { name: "Servers" })).toContainText("everything");

    await page.getByRole("button", { name: "Add server" }).click();
    const dialog = page.getByRole("dialog", { name: "Add a server" });
    await dialog.getByLabel("Name", { exact: true }).fill(http);
    await dialog.getByLabel("HTTP (a remote URL)").check();
    await dialog.getByLabel("URL", { exact: true }).fill("file:///etc/passwd");
    await dialog.getByRole("button", { name: "Add header" }).click();
    await dialog.getByLabel("Header 1", { exact: true }).fill("Authorization");
    await dialog.getByLabel("Value 1", { exact: true }).fill("Bearer upstream-secret-value");
    await dialog.getByRole("button", { name: "Add server" }).click();
    await expect(dialog.getByText(/http or https/)).toBeVisible();
    await dialog.getByLabel("URL", { exact: true }).fill("https://mcp.example.com/mcp");
    await shot(page, "servers-add");
    await dialog.getByRole("button", { name: "Add server" }).click();
    // A new server is a new command or URL for the gateway: the password is asked for first.
    const confirm = page.getByRole("dialog", { name: "Confirm it's you" });
    await confirm.getByLabel("Your password").fill(E2E.password);
    await confirm.getByRole("button", { name: "Confirm" }).click();
    await expect(page.getByText(`Added ${http}`)).toBeVisible();

    await page.getByRole("button", { name: "Add server" }).click();
    await dialog.getByLabel("Name", { exact: true }).fill(stdio);
    await dialog.getByLabel("Command", { exact: true }).fill("node");
    await dialog.getByRole("button", { name: "Add argument" }).click();
    await dialog.getByLabel("Arguments 1", { exact: true }).fill("server.js");
    await dialog.getByRole("button", { name: "Add argument" }).click();
    await dialog.getByLabel("Arguments 2", { exact: true }).fill("--root; rm -rf /");
    await dialog.getByRole("button", { name: "Add server" }).click();
    await expect(page.getByText(`Added ${stdio}`)).toBeVisible();

    const rows = db
      .prepare(
        "SELECT name, transport, command, args, url, headers FROM upstreams WHERE name IN (?, ?) ORDER BY name",
      )
      .all(stdio, http) as Record<string, string>[];
    expect(rows).toMatchObject([
      {
        name: stdio,
        transport: "stdio",
        command: "node",
        args: JSON.stringify(["server.js", "--root; rm -rf /"]),
        url: null,
      },
      { name: http, transport: "http", command: null, url: "https://mcp.example.com/mcp" },
    ]);
    const audit = db
      .prepare("SELECT detail FROM audit_events WHERE action = 'upstream.create' AND server = ?")
      .get(http) as { detail: string };
    expect(audit.detail).toContain("Authorization");
    expect(audit.detail).not.toContain("upstream-secret-value");

    const table = page.getByRole("table", { name: "Servers" });
    await expect(table.getByRole("row", { name: new RegExp(http) })).toContainText("No policy");
    await expect(table.getByRole("row", { name: new RegExp(stdio) })).toContainText(
      "node server.js --root; rm -rf /",
    );
    await shot(page, "servers");

    await table.getByRole("link", { name: stdio }).click();
    await expect(page.getByRole("heading", { name: stdio, level: 1 })).toBeVisible();
    await expect(page.getByText("No tools recorded yet")).toBeVisible();
    await expect(
      page.getByRole("definition").filter({ hasText: "--root; rm -rf /" }),
    ).toBeVisible();
    await page.getByRole("button", { name: "Disable server" }).click();
    await page
      .getByRole("dialog", { name: `Disable ${stdio}?` })
      .getByRole("button", { name: "Disable server" })
      .click();
    await expect(page.getByText("Disabled", { exact: true })).toBeVisible();
    expect(
      (db.prepare("SELECT enabled FROM upstreams WHERE name = ?").get(stdio) as { enabled: number })
        .enabled,
    ).toBe(0);

    await page.goto(`/console/servers/${http}`);
    await expect(page.getByRole("definition").filter({ hasText: "Authorization" })).toBeVisible();
    await expect(page.getByText("upstream-secret-value")).toHaveCount(0);
    await page.getByRole("link", { name: "Write a policy" }).click();
    await expect(page).toHaveURL(new RegExp(`/console/policies/${http}/edit$`));
    await page.getByRole("button", { name: "Starter policy" }).click();
    await expect(page.locator(".cm-content")).toContainText("default: deny");
    await expect(page.getByText("No problems.")).toBeVisible();
    await page.getByRole("button", { name: "Save and activate" }).click();
    await expect(page.getByText("Saved version 1; enforced from the next call.")).toBeVisible();
  });

  test("the tool inventory shows risk, and a quarantined tool is reviewed as a diff and accepted", async ({
    page,
    signIn,
    mcpClient,
    db,
  }) => {
    await mcpClient().then((c) => c.listTools());
    const tools = db
      .prepare(
        "SELECT t.id, t.name, t.definition, t.definition_hash, t.status FROM tools t JOIN upstreams u ON u.id = t.upstream_id WHERE u.name = 'everything'",
      )
      .all() as ToolRow[];
    const target =
      tools.find((t) => t.name === "toggle-subscriber-updates") ??
      tools.find(
        (t) => t.status !== "quarantined" && !["echo", "get-sum", "get-env"].includes(t.name),
      );
    if (!target) throw new Error("no tool recorded for the everything server");

    // The pinned definition as it was before a (simulated) change; the server now advertises the real one.
    const real = JSON.parse(target.definition) as Record<string, unknown>;
    const pinned = { ...real, description: "An older, harmless description of this tool." };
    const pinnedHash = createHash("sha256").update(JSON.stringify(pinned)).digest("hex");
    db.prepare(
      `UPDATE tools SET definition = ?, approved_hash = ?, definition_hash = ?, pending_definition = ?, pending_hash = ?,
       status = 'quarantined', quarantined_at = ? WHERE id = ?`,
    ).run(
      JSON.stringify(pinned),
      pinnedHash,
      pinnedHash,
      target.definition,
      target.definition_hash,
      Date.now(),
      target.id,
    );
    db.prepare("UPDATE config_version SET version = version + 1 WHERE id = 1").run();

    await signIn("admin");
    await page.goto("/console/servers");
    await expect(
      page.getByRole("row", { name: /everything/ }).getByRole("link", { name: /1 to review/ }),
    ).toBeVisible();
    await page.getByRole("link", { name: "everything", exact: true }).click();

    const inventory = page.getByRole("table", { name: "Tools of everything" });
    await expect(inventory.getByRole("row", { name: /echo/ })).toContainText(
      /Read|Write|Other|Execute/,
    );
    await inventory.getByRole("button", { name: "echo" }).click();
    await expect(page.getByText("Pinned definition")).toBeVisible();

    const review = page.getByRole("region", { name: /Waiting for review/ });
    await expect(review).toContainText(target.name);
    const diff = review.getByLabel(`Definition change of ${target.name}`);
    await expect(diff.locator('[data-diff="del"]')).toContainText(
      "An older, harmless description of this tool.",
    );
    await expect(diff.locator('[data-diff="add"]').first()).toBeVisible();
    await shot(page, "server-quarantine-review");

    await review.getByRole("button", { name: `Accept change to ${target.name}` }).click();
    await page
      .getByRole("dialog", { name: "Accept this change?" })
      .getByRole("button", { name: "Accept change" })
      .click();
    await expect(page.getByText(`Accepted the new definition of ${target.name}`)).toBeVisible();
    await expect(page.getByRole("region", { name: /Waiting for review/ })).toHaveCount(0);

    const after = db
      .prepare("SELECT status, approved_hash, pending_hash FROM tools WHERE id = ?")
      .get(target.id) as { status: string; approved_hash: string; pending_hash: string | null };
    expect(after).toEqual({
      status: "active",
      approved_hash: target.definition_hash,
      pending_hash: null,
    });
    expect(
      (
        db
          .prepare(
            "SELECT count(*) AS n FROM audit_events WHERE action = 'tool.accept' AND target_id = ?",
          )
          .get(target.id) as { n: number }
      ).n,
    ).toBe(1);
    await shot(page, "server-detail");
  });

  test("grants: create with a per-agent limit and expiry, filter by agent, revoke", async ({
    page,
    signIn,
    db,
  }) => {
    await signIn("admin");
    const name = `grant-e2e-${unique()}`;
    const { agentId } = await agentWithKey(page, name);
    await page.goto("/console/grants");
    await expect(page.getByRole("heading", { name: "Grants", level: 1 })).toBeVisible();

    await page.getByRole("button", { name: "New grant" }).click();
    const dialog = page.getByRole("dialog", { name: "New grant" });
    await dialog.getByLabel("Agent").selectOption({ label: name });
    await dialog.getByLabel("Server").selectOption({ label: "everything" });
    await dialog.getByLabel("Tool").fill("get-tiny-image");
    await dialog.getByLabel("At most (calls)").fill("3");
    await dialog.getByLabel("Per").selectOption({ label: "hour" });
    await dialog.getByLabel("Expires after").selectOption({ label: "24 hours" });
    await dialog.getByLabel("Reason").fill("Thumbnails for the e2e run");
    await shot(page, "grants-new");
    await dialog.getByRole("button", { name: "Save grant" }).click();
    await expect(
      page.getByText("Granted get-tiny-image; enforced from the next call."),
    ).toBeVisible();

    await page.goto(`/console/grants?agent=${agentId}`);
    const table = page.getByRole("table", { name: "Grants" });
    await expect(table.getByRole("row")).toHaveCount(2);
    const row = table.getByRole("row", { name: /get-tiny-image/ });
    await expect(row).toContainText(name);
    await expect(row).toContainText("3 per hour");
    await expect(row).toContainText("Thumbnails for the e2e run");
    await expect(row).toContainText("admin@portcullis.test");
    await expect(row).toContainText("Active");
    await shot(page, "grants");

    await row.getByRole("button", { name: `Revoke allow get-tiny-image for ${name}` }).click();
    await page
      .getByRole("dialog", { name: "Revoke this grant?" })
      .getByRole("button", { name: "Revoke grant" })
      .click();
    await expect(page.getByText(`Revoked allow get-tiny-image for ${name}.`)).toBeVisible();
    await expect(page.getByText("No grants match these filters")).toBeVisible();
    await page.getByLabel("Show revoked").click();
    await expect(page.getByLabel("Show revoked")).toBeChecked();
    await expect(table.getByRole("row", { name: /get-tiny-image/ })).toContainText("Revoked");

    const grant = db
      .prepare(
        "SELECT rate_limit_max, rate_limit_window_seconds, expires_at, revoked_at FROM grants WHERE agent_id = ?",
      )
      .get(agentId) as Record<string, number | null>;
    expect(grant.rate_limit_max).toBe(3);
    expect(grant.rate_limit_window_seconds).toBe(3600);
    expect(grant.expires_at).toBeGreaterThan(Date.now());
    expect(grant.revoked_at).not.toBeNull();
  });
});
