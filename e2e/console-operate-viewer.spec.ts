import { expect, test } from "./fixtures";
import { api, shot } from "./console-operate-helpers";

test.describe("viewer on the operator pages", () => {
  test("sees every page read-only, and the API refuses each mutation", async ({
    page,
    signIn,
    db,
  }) => {
    await signIn("viewer");

    await page.goto("/console/agents");
    await expect(page.getByRole("heading", { name: "Agents", level: 1 })).toBeVisible();
    await expect(page.getByRole("list", { name: "Agents" })).toContainText("demo-agent");
    await expect(page.getByText("only admins create agents")).toBeVisible();
    await expect(page.getByRole("button", { name: "New agent" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: /^New key for/ })).toHaveCount(0);
    await expect(page.getByRole("button", { name: /^Revoke key/ })).toHaveCount(0);
    await shot(page, "viewer-agents");

    await page.goto("/console/servers");
    await expect(page.getByRole("table", { name: "Servers" })).toContainText("everything");
    await expect(page.getByRole("button", { name: "Add server" })).toHaveCount(0);

    await page.goto("/console/policies/everything/edit");
    await expect(page.getByRole("heading", { name: "Policy: everything" })).toBeVisible();
    await expect(
      page.getByText("Read only: saving and activating policies needs the editor role."),
    ).toBeVisible();
    await expect(page.locator(".cm-content")).toContainText("no credentials in echo");
    await expect(page.locator(".cm-content")).toHaveAttribute("contenteditable", "false");
    await expect(page.getByRole("button", { name: "Save and activate" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: /^Activate version/ })).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Starter policy" })).toHaveCount(0);
    await expect(page.getByText("No problems.")).toBeVisible();
    await shot(page, "viewer-policy");

    await page.goto("/console/grants");
    await expect(page.getByRole("heading", { name: "Grants", level: 1 })).toBeVisible();
    await expect(page.getByRole("button", { name: "New grant" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: /^Revoke / })).toHaveCount(0);

    const upstream = db.prepare("SELECT id FROM upstreams WHERE name = 'everything'").get() as {
      id: string;
    };
    const agent = db.prepare("SELECT id FROM agents WHERE name = 'demo-agent'").get() as {
      id: string;
    };
    const key = db
      .prepare("SELECT id FROM agent_keys WHERE agent_id = ? LIMIT 1")
      .get(agent.id) as { id: string };
    const tool = db.prepare("SELECT id FROM tools LIMIT 1").get() as { id: string } | undefined;
    const version = db.prepare("SELECT id FROM policy_versions LIMIT 1").get() as { id: string };
    const auditBefore = (
      db
        .prepare(
          "SELECT count(*) AS n FROM audit_events WHERE actor_label = 'viewer@portcullis.test' AND action <> 'user.sign_in'",
        )
        .get() as { n: number }
    ).n;

    const attempts: [string, "POST" | "PATCH" | "DELETE", string, unknown][] = [
      ["create agent", "POST", "/api/v1/agents", { name: "viewer-made" }],
      ["disable agent", "PATCH", `/api/v1/agents/${agent.id}`, { disabled: true }],
      ["issue key", "POST", `/api/v1/agents/${agent.id}/keys`, { name: "x" }],
      ["revoke key", "DELETE", `/api/v1/agent-keys/${key.id}`, undefined],
      [
        "add server",
        "POST",
        "/api/v1/upstreams",
        { name: "viewer-srv", transport: "http", url: "https://example.com/mcp" },
      ],
      ["change server", "PATCH", `/api/v1/upstreams/${upstream.id}`, { enabled: false }],
      [
        "save policy",
        "POST",
        `/api/v1/upstreams/${upstream.id}/policy`,
        { yaml: 'version: "1"\ndefault: allow\n' },
      ],
      ["activate version", "POST", `/api/v1/policy-versions/${version.id}/activate`, undefined],
      [
        "create grant",
        "POST",
        "/api/v1/grants",
        { agentId: agent.id, upstreamId: upstream.id, toolPattern: "*", effect: "allow" },
      ],
      ...(tool
        ? ([["accept tool", "POST", `/api/v1/tools/${tool.id}/accept`, undefined]] as [
            string,
            "POST",
            string,
            unknown,
          ][])
        : []),
    ];
    for (const [what, method, url, data] of attempts) {
      const res = await api(page, method, url, data);
      expect(res.status(), what).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code, what).toBe(
        "FORBIDDEN",
      );
    }
    const validate = await api(page, "POST", "/api/v1/policies/validate", {
      yaml: 'version: "1"\n',
    });
    expect(validate.status()).toBe(200);
    const auditAfter = (
      db
        .prepare(
          "SELECT count(*) AS n FROM audit_events WHERE actor_label = 'viewer@portcullis.test' AND action <> 'user.sign_in'",
        )
        .get() as { n: number }
    ).n;
    expect(auditAfter).toBe(auditBefore);
    expect(
      (
        db.prepare("SELECT disabled_at FROM agents WHERE id = ?").get(agent.id) as {
          disabled_at: number | null;
        }
      ).disabled_at,
    ).toBeNull();
  });
});
