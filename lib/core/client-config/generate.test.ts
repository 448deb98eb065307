import { describe, expect, it } from "vitest";

import {
  clientConfigs,
  EXAMPLE_ENVIRONMENT,
  gatewayEndpoint,
  KEY_PLACEHOLDER,
  shellWord,
} from "./generate";

const settings = {
  server: "everything",
  gatewayUrl: "http://127.0.0.1:7400/",
  key: "pcs_abc",
  launcher: {
    node: "/opt/node 20/bin/node",
    script: "/srv/portcullis/bin/portcullis.mjs",
    db: "/var/lib/portcullis/it's.db",
  },
};

const byTarget = (s = settings) => Object.fromEntries(clientConfigs(s).map((c) => [c.target, c]));

describe("clientConfigs", () => {
  it("renders one snippet per client, in a fixed order", () => {
    expect(clientConfigs(settings).map((c) => [c.target, c.file])).toEqual([
      ["claude-desktop", "claude_desktop_config.json"],
      ["claude-code", ".mcp.json"],
      ["cursor", ".cursor/mcp.json"],
      ["http", null],
      ["stdio", null],
    ]);
  });

  it("Claude Desktop: a stdio entry that runs the launcher by absolute path with node", () => {
    const parsed = JSON.parse(byTarget()["claude-desktop"]?.text ?? "") as unknown;
    expect(parsed).toEqual({
      mcpServers: {
        everything: {
          command: "/opt/node 20/bin/node",
          args: ["/srv/portcullis/bin/portcullis.mjs", "run", "--server", "everything"],
          env: { PORTCULLIS_DB: "/var/lib/portcullis/it's.db", PORTCULLIS_AGENT_KEY: "pcs_abc" },
        },
      },
    });
  });

  it("Claude Code and Cursor: the gateway URL with the key as a bearer token", () => {
    const headers = { Authorization: "Bearer pcs_abc" };
    const url = "http://127.0.0.1:7400/mcp/everything";
    expect(JSON.parse(byTarget()["claude-code"]?.text ?? "")).toEqual({
      mcpServers: { everything: { type: "http", url, headers } },
    });
    expect(JSON.parse(byTarget().cursor?.text ?? "")).toEqual({
      mcpServers: { everything: { url, headers } },
    });
    expect(byTarget().http?.text).toBe(`URL: ${url}\nAuthorization: Bearer pcs_abc`);
  });

  it("stdio: a shell command whose words survive spaces and quotes", () => {
    expect(byTarget().stdio?.text).toBe(
      [
        `PORTCULLIS_DB='/var/lib/portcullis/it'\\''s.db'`,
        "PORTCULLIS_AGENT_KEY=pcs_abc",
        "'/opt/node 20/bin/node'",
        "/srv/portcullis/bin/portcullis.mjs",
        "run",
        "--server",
        "everything",
      ].join(" \\\n  "),
    );
    expect(shellWord("a b")).toBe("'a b'");
    expect(shellWord("$(rm -rf ~)")).toBe("'$(rm -rf ~)'");
  });

  it("puts a placeholder where the key goes when there is none, and never npx", () => {
    for (const c of clientConfigs({ ...settings, key: null })) {
      expect(c.text).toContain(KEY_PLACEHOLDER);
      expect(c.text).not.toContain("npx");
    }
  });

  it("escapes a server name in the URL and keeps it verbatim as the JSON key", () => {
    expect(gatewayEndpoint("http://h:1", "a b")).toBe("http://h:1/mcp/a%20b");
    const parsed = JSON.parse(
      byTarget({ ...settings, server: 'we"ird' })["cursor"]?.text ?? "",
    ) as { mcpServers: Record<string, unknown> };
    expect(Object.keys(parsed.mcpServers)).toEqual(['we"ird']);
  });

  it("the documentation stand-ins produce the same shapes", () => {
    const configs = clientConfigs({ server: "everything", key: null, ...EXAMPLE_ENVIRONMENT });
    expect(configs).toHaveLength(5);
    expect(configs[0]?.text).toContain("/path/to/portcullis/bin/portcullis.mjs");
  });
});
