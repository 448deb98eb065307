import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type Database from "better-sqlite3";

import { expect, test } from "./fixtures";
import { agentWithKey, api, setEditorText, shot, unique } from "./console-operate-helpers";

type Result = { isError?: boolean; content?: { type: string; text?: string }[] };
const textOf = (r: Result) => (r.content ?? []).map((c) => c.text ?? "").join(" ");
const echo = async (client: Client, message: string) =>
  (await client.callTool({ name: "echo", arguments: { message } })) as Result;

type VersionRow = { id: string; version: number; yaml: string; comment: string | null };

function activeVersion(db: Database.Database): VersionRow {
  return db
    .prepare(
      `SELECT v.id, v.version, v.yaml, v.comment FROM policy_versions v
       JOIN policies p ON p.active_version_id = v.id JOIN upstreams u ON u.id = p.upstream_id WHERE u.name = 'everything'`,
    )
    .get() as VersionRow;
}

test.describe("policy editor", () => {
  test("a deny rule saved in the editor is enforced on the very next call, and rolling back restores the old version", async ({
    page,
    signIn,
    mcpClient,
    db,
  }) => {
    await signIn("admin");
    const { key } = await agentWithKey(page, `policy-e2e-${unique()}`);
    const client = await mcpClient({ key });
    expect(textOf(await echo(client, "before"))).toContain("before");

    const before = activeVersion(db);
    await page.goto("/console/policies");
    await expect(page.getByRole("table", { name: "Policies by server" })).toBeVisible();
    await expect(page.getByRole("row", { name: /everything/ })).toContainText(`v${before.version}`);
    await shot(page, "policies-index");

    await page.getByRole("link", { name: "Edit the policy of everything" }).click();
    await expect(page).toHaveURL(/\/console\/policies\/everything\/edit$/);
    await expect(page.locator(".cm-content")).toContainText("no credentials in echo");
    await expect(
      page.getByTestId("policy-problems").or(page.getByText("No problems.")),
    ).toBeVisible();

    const denied = before.yaml.replace(
      /\n {2}echo:\n {4}rules:\n/,
      "\n  echo:\n    rules:\n      - name: echo switched off\n        action: deny\n        reason: Echo is switched off by the operator\n",
    );
    expect(denied).not.toBe(before.yaml);
    await setEditorText(page, denied);
    await expect(page.getByText("Unsaved changes")).toBeVisible();
    await expect(page.getByText("No problems.")).toBeVisible();
    await page.getByRole("button", { name: "Review changes" }).click();
    await expect(page.getByRole("figure").getByLabel("Changes in the draft")).toContainText(
      "echo switched off",
    );
    await page.getByLabel("Comment").fill("Switch echo off");
    await shot(page, "policy-editor-draft");
    await page.getByRole("button", { name: "Save and activate" }).click();
    await expect(page.getByText(/Saved version \d+; enforced from the next call/)).toBeVisible();

    const saved = activeVersion(db);
    expect(saved.version).toBe(before.version + 1);
    expect(saved.comment).toBe("Switch echo off");
    expect(saved.yaml).toContain("echo switched off");

    const refused = await echo(client, "after");
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain("[POLICY DENIED]");
    expect(textOf(refused)).toContain("Echo is switched off by the operator");

    const history = page.getByRole("list", { name: "Saved versions, newest first" });
    await expect(history.getByRole("listitem").first()).toContainText(`Version ${saved.version}`);
    await expect(history.getByRole("listitem").first()).toContainText("Switch echo off");
    await page
      .getByRole("button", { name: `Diff version ${before.version} against the active version` })
      .click();
    const drawer = page.getByRole("dialog");
    await expect(
      drawer.getByLabel(`Changes from the active version to version ${before.version}`),
    ).toContainText("echo switched off");
    await shot(page, "policy-version-diff");
    await drawer.getByRole("button", { name: "Close" }).click();

    await page.getByRole("button", { name: `Activate version ${before.version}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Activate" }).click();
    await expect(
      page.getByText(`Version ${before.version} is in force from the next call.`),
    ).toBeVisible();
    expect(activeVersion(db).id).toBe(before.id);
    const restored = await echo(client, "restored");
    expect(restored.isError ?? false).toBe(false);
    expect(textOf(restored)).toContain("restored");

    const audit = db
      .prepare(
        "SELECT action FROM audit_events WHERE action IN ('policy.save','policy.activate') ORDER BY seq DESC LIMIT 3",
      )
      .all() as { action: string }[];
    expect(audit.map((a) => a.action)).toEqual([
      "policy.activate",
      "policy.activate",
      "policy.save",
    ]);
  });

  test("an invalid policy shows every error with line:column and can be neither saved nor activated", async ({
    page,
    signIn,
    db,
  }) => {
    await signIn("admin");
    const before = activeVersion(db);
    const versions = () =>
      (db.prepare("SELECT count(*) AS n FROM policy_versions").get() as { n: number }).n;
    const count = versions();

    await page.goto("/console/policies/everything/edit");
    await expect(page.locator(".cm-content")).toContainText("no credentials in echo");
    const bad =
      'version: "2"\ndefault: maybe\ntools:\n  echo:\n    rules:\n      - action: deny\n        conditions: [{ path: args.x, op: eq, value: 1 }]\n';
    await setEditorText(page, bad);
    const problems = page.getByTestId("policy-problems");
    await expect(problems).toContainText('version must be "1"');
    await expect(problems).toContainText('default must be "allow" or "deny"');
    await expect(problems).toContainText("deny rules must not have conditions");
    await expect(
      problems.getByRole("listitem").filter({ hasText: "version must be" }),
    ).toContainText(/^\s*1:\d+/);
    await expect(
      problems.getByRole("listitem").filter({ hasText: "default must be" }),
    ).toContainText(/^\s*2:\d+/);
    await expect(page.locator(".cm-lint-marker-error").first()).toBeVisible();
    await expect(page.getByRole("button", { name: "Save and activate" })).toBeDisabled();
    await expect(page.getByText("an invalid policy is never saved or activated")).toBeVisible();
    await shot(page, "policy-editor-errors");

    const upstreamId = (
      db.prepare("SELECT id FROM upstreams WHERE name = 'everything'").get() as { id: string }
    ).id;
    const forced = await api(page, "POST", `/api/v1/upstreams/${upstreamId}/policy`, {
      yaml: bad,
      comment: "forced",
    });
    expect(forced.status()).toBe(400);
    const body = (await forced.json()) as {
      error: { code: string; details: { errors: { line: number; column: number }[] } };
    };
    expect(body.error.code).toBe("VALIDATION");
    expect(body.error.details.errors.every((e) => e.line > 0 && e.column > 0)).toBe(true);
    expect(versions()).toBe(count);
    expect(activeVersion(db).id).toBe(before.id);
  });
});
