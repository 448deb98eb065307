import fs from "node:fs";

import type { Page } from "@playwright/test";
import type Database from "better-sqlite3";

import { expect, test } from "./fixtures";
import { api, shot } from "./console-operate-helpers";

type Version = { id: string; version: number; yaml: string };

function activeVersion(db: Database.Database): Version {
  return db
    .prepare(
      `SELECT v.id, v.version, v.yaml FROM policy_versions v
       JOIN policies p ON p.active_version_id = v.id JOIN upstreams u ON u.id = p.upstream_id WHERE u.name = 'everything'`,
    )
    .get() as Version;
}

const versionCount = (db: Database.Database) =>
  (db.prepare("SELECT count(*) AS n FROM policy_versions").get() as { n: number }).n;

/** The editor's text, read the way an operator gets it: through Export YAML. */
async function exported(page: Page): Promise<{ name: string; text: string }> {
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export YAML" }).click();
  const file = await download;
  return { name: file.suggestedFilename(), text: fs.readFileSync(await file.path(), "utf8") };
}

async function openEditor(page: Page) {
  await page.goto("/console/policies/everything/edit");
  await expect(page.locator(".cm-content")).toContainText("no credentials in echo");
  await expect(page.getByText("No problems.")).toBeVisible();
}

const toolCard = (page: Page, tool: string) => page.getByRole("listitem", { name: `Tool ${tool}` });

test.describe("policy editor: structured view, unsaved changes, diff, import and export", () => {
  test("a quick action edits the YAML keeping its comments; leaving asks first and cancel keeps the draft", async ({
    page,
    signIn,
    mcpClient,
    db,
  }) => {
    // The inventory is recorded when an agent lists the tools through the gateway.
    await (await mcpClient()).listTools();
    await signIn("admin");
    const before = activeVersion(db);
    const saved = versionCount(db);
    await page.setViewportSize({ width: 1280, height: 900 });
    await openEditor(page);

    const echo = toolCard(page, "echo");
    await expect(echo).toContainText(
      "no credentials in echo: Allows a call only when args.message does not match",
    );
    await expect(echo).toContainText("echo rate limit: At most 10 calls per minute.");
    await expect(toolCard(page, "get-env")).toContainText("Hidden: not in tools/list, and refused");
    await shot(page, "policy-editor-structured-1280");

    await echo.getByRole("button", { name: "Deny" }).click();
    await expect(page.getByText("echo is denied: a deny rule comes first")).toBeVisible();
    await expect(echo.getByText("Denied", { exact: true })).toBeVisible();
    await expect(echo).toContainText('Refused by rule "echo switched off"');
    await expect(page.getByText("Unsaved changes")).toBeVisible();

    const tiny = toolCard(page, "get-tiny-image");
    await expect(tiny.getByText("Not listed", { exact: true })).toBeVisible();
    await tiny.getByRole("button", { name: "Apply recommendation" }).click();
    await expect(tiny.getByText("Allowed", { exact: true })).toBeVisible();

    const draft = await exported(page);
    expect(draft.name).toBe("everything-draft.yaml");
    expect(draft.text).toContain(
      "  echo:\n    rules:\n      - name: echo switched off\n        action: deny\n        reason: Switched off by an operator\n      - name: no credentials in echo\n",
    );
    expect(draft.text).toContain("  get-tiny-image:\n    rules:\n      - action: allow\n");
    // Every comment of the saved version is still in the draft, where it was.
    for (const line of before.yaml.split("\n").filter((l) => l.includes("#")))
      expect(draft.text.split("\n")).toContain(line);

    // A click in the sidebar asks; Cancel keeps the draft.
    await page
      .getByRole("navigation", { name: "Console" })
      .getByRole("link", { name: "Audit log" })
      .click();
    const ask = page.getByRole("dialog", { name: "Leave without saving?" });
    await expect(ask).toBeVisible();
    await expect(ask).toContainText("The policy draft for everything has unsaved changes");
    await shot(page, "policy-editor-leave-prompt");
    await ask.getByRole("button", { name: "Cancel" }).click();
    await expect(ask).toBeHidden();
    await expect(page).toHaveURL(/\/console\/policies\/everything\/edit$/);
    await expect(page.getByText("Unsaved changes")).toBeVisible();
    expect((await exported(page)).text).toBe(draft.text);

    // Closing the tab or reloading gets the browser's own prompt.
    const prompt = page.waitForEvent("dialog");
    await page.close({ runBeforeUnload: true });
    const dialog = await prompt;
    expect(dialog.type()).toBe("beforeunload");
    await dialog.dismiss();
    await expect(page.getByText("Unsaved changes")).toBeVisible();

    // Leaving for real discards the draft; nothing was saved.
    await page
      .getByRole("navigation", { name: "Console" })
      .getByRole("link", { name: "Audit log" })
      .click();
    await page
      .getByRole("dialog", { name: "Leave without saving?" })
      .getByRole("button", { name: "Leave and discard" })
      .click();
    await expect(page).toHaveURL(/\/console\/audit/);
    expect(versionCount(db)).toBe(saved);
    expect(activeVersion(db).id).toBe(before.id);
  });

  test("any two versions diff, opening at the first change; viewers may compare but not edit", async ({
    page,
    signIn,
    db,
  }) => {
    await signIn("admin");
    const original = activeVersion(db);
    const upstreamId = (
      db.prepare("SELECT id FROM upstreams WHERE name = 'everything'").get() as { id: string }
    ).id;
    // A long preamble puts the change far below the top of the file.
    const notes = Array.from({ length: 80 }, (_, i) => `# change log entry ${i + 1}`).join("\n");
    const long = original.yaml.replace("\ntools:\n", `\n${notes}\ntools:\n`);
    const changed = long
      .replace("rate_limit: 10/minute", "rate_limit: 20/minute")
      .replace("approval_timeout: 10m", "approval_timeout: 15m");
    for (const [yaml, comment] of [
      [long, "Change log"],
      [changed, "Looser echo limit, longer approvals"],
    ] as const) {
      const res = await api(page, "POST", `/api/v1/upstreams/${upstreamId}/policy`, {
        yaml,
        comment,
      });
      expect(res.status()).toBe(200);
    }
    const latest = activeVersion(db);

    try {
      await page.context().clearCookies();
      await signIn("viewer");
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto("/console/policies/everything/edit");
      // The editor renders only the lines in view; the change log fills the first screen.
      await expect(page.locator(".cm-content")).toContainText("change log entry 1");
      await expect(page.getByRole("button", { name: "Import YAML" })).toHaveCount(0);
      await expect(page.getByRole("group", { name: /^Quick actions/ })).toHaveCount(0);
      await expect(toolCard(page, "echo")).toContainText("At most 20 calls per minute");

      await page.getByRole("button", { name: "Compare versions" }).click();
      const drawer = page.getByRole("dialog", { name: "Compare versions" });
      await expect(drawer.getByLabel("From", { exact: true })).toHaveValue(/.+/);
      await drawer.getByLabel("From", { exact: true }).selectOption(original.id);
      const diff = drawer.getByLabel(
        `Changes from version ${original.version} to the active version`,
      );
      await expect(diff).toContainText("change log entry 80");
      await expect(drawer).toContainText("3 changes: 82 lines added, 2 removed");
      const first = drawer.locator("[data-first-change]");
      await expect(first).toContainText("change log entry 1");
      await expect(first).toBeFocused();
      await expect(first).toBeInViewport();
      await drawer
        .getByLabel("From", { exact: true })
        .selectOption(
          (await drawer
            .getByLabel("From", { exact: true })
            .locator("option")
            .nth(1)
            .getAttribute("value")) ?? "",
        );
      const between = drawer.getByLabel(
        `Changes from version ${latest.version - 1} to the active version`,
      );
      await expect(between).toContainText("20/minute");
      await expect(
        drawer.getByRole("button", { name: /^⋯ Show \d+ unchanged lines$/ }).first(),
      ).toBeVisible();
      const opened = drawer.locator("[data-first-change]");
      await expect(opened).toContainText("rate_limit: 10/minute");
      await expect(opened).toBeInViewport();
      await expect(opened).toBeFocused();
      await shot(page, "policy-editor-diff-1280");
      await drawer.getByRole("button", { name: "Next change" }).click();
      await expect(drawer.getByText("2 of 2")).toBeVisible();
      await expect(
        drawer.locator('[data-diff="add"]', { hasText: "approval_timeout: 15m" }),
      ).toBeInViewport();

      await page.setViewportSize({ width: 390, height: 844 });
      await expect(opened).toBeVisible();
      await shot(page, "policy-editor-diff-390");
    } finally {
      await page.context().clearCookies();
      await signIn("admin");
      const res = await api(page, "POST", `/api/v1/policy-versions/${original.id}/activate`);
      expect(res.status()).toBe(200);
    }
    expect(activeVersion(db).id).toBe(original.id);
  });

  test("import loads a file into the draft, checked and unsaved; export downloads the version shown", async ({
    page,
    signIn,
    db,
  }) => {
    await signIn("editor");
    const before = activeVersion(db);
    const saved = versionCount(db);
    await openEditor(page);

    const shown = await exported(page);
    expect(shown.name).toBe(`everything-v${before.version}.yaml`);
    expect(shown.text).toBe(before.yaml);

    const imported = `# Imported from the staging gateway
version: "1"
default: deny
tools:
  echo:
    rules:
      - name: imported echo limit
        rate_limit: 3/minute
`;
    const input = page.getByLabel("Policy file to import");
    await input.setInputFiles({
      name: "staging.yaml",
      mimeType: "application/yaml",
      buffer: Buffer.from(imported),
    });
    await expect(
      page.getByText(
        "Loaded staging.yaml into the draft. It is valid; nothing is saved until you save.",
      ),
    ).toBeVisible();
    await expect(page.locator(".cm-content")).toContainText("imported echo limit");
    await expect(page.getByText("Unsaved changes")).toBeVisible();
    await expect(toolCard(page, "echo")).toContainText(
      "imported echo limit: At most 3 calls per minute.",
    );
    expect((await exported(page)).text).toBe(imported);
    expect(versionCount(db)).toBe(saved);

    // A second import over unsaved changes asks first; an invalid file lands in the draft with its problems.
    await input.setInputFiles({
      name: "broken.yaml",
      mimeType: "application/yaml",
      buffer: Buffer.from('version: "1"\ndefault: maybe\n'),
    });
    const replace = page.getByRole("dialog", { name: "Replace the unsaved draft?" });
    await replace.getByRole("button", { name: "Replace draft" }).click();
    await expect(page.getByText("Loaded broken.yaml into the draft with 1 problem")).toBeVisible();
    await expect(page.getByTestId("policy-problems")).toContainText(
      'default must be "allow" or "deny"',
    );
    await expect(page.getByRole("button", { name: "Save and activate" })).toBeDisabled();
    await expect(page.getByText("Fix the YAML to update")).toBeVisible();
    await expect(toolCard(page, "echo").getByRole("button", { name: "Deny" })).toBeDisabled();

    await input.setInputFiles({
      name: "image.png",
      mimeType: "image/png",
      buffer: Buffer.from([0x89, 0x50, 0xff, 0xfe, 0x00]),
    });
    await expect(page.getByText("image.png is not UTF-8 text")).toBeVisible();
    await expect(page.getByTestId("policy-problems")).toContainText(
      'default must be "allow" or "deny"',
    );

    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole("button", { name: "Discard" }).click();
    await expect(page.getByText("No problems.")).toBeVisible();
    await shot(page, "policy-editor-390");
    expect(versionCount(db)).toBe(saved);
  });
});
