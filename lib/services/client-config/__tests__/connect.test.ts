import os from "node:os";
import path from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type ClientConfig, clientConfigs } from "@/lib/core/client-config/generate";
import { REPO_ROOT } from "@/lib/testing";
import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import {
  auditRows,
  childEnv,
  ensureCliBundle,
  serverEntry,
  spawnGateway,
  tempDatabase,
} from "@/lib/testing/proxy";
import { findLauncher, launcherSettings } from "..";

const POLICY = `version: "1"
default: deny
tools:
  echo:
`;

type McpEntry = {
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  url?: string;
  headers?: Record<string, string>;
};

let store: ReturnType<typeof tempDatabase>;
let gateway: Awaited<ReturnType<typeof spawnGateway>>;
let agentId: string;
let configs: Record<string, ClientConfig>;
const clients: Client[] = [];

beforeAll(async () => {
  await ensureCliBundle();
  store = tempDatabase();
  const upstream = insertUpstream(store.db, {
    name: "everything",
    command: process.execPath,
    args: [serverEntry("everything"), "stdio"],
  });
  insertPolicyVersion(store.db, upstream.id, POLICY);
  const { agent, key } = insertAgentWithKey(store.db, { name: "desktop" });
  agentId = agent.id;
  gateway = await spawnGateway(store.file);
  // Resolved the way the console resolves it: from a working folder inside the project.
  const launcher = launcherSettings(store.file, path.join(REPO_ROOT, "app"));
  if (!launcher) throw new Error("launcher not found");
  configs = Object.fromEntries(
    clientConfigs({
      server: "everything",
      gatewayUrl: new URL(gateway.url).origin,
      key,
      launcher,
    }).map((c) => [c.target, c]),
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await gateway?.stop();
  store?.cleanup();
});

const entryOf = (target: string): McpEntry => {
  const parsed = JSON.parse(configs[target]?.text ?? "") as {
    mcpServers: Record<string, McpEntry>;
  };
  const entry = parsed.mcpServers.everything;
  if (!entry) throw new Error(`no entry in ${target}`);
  return entry;
};

/** Connects a real SDK client; lists, calls a tool the policy allows and one it does not list. */
async function exercise(transport: Transport): Promise<void> {
  const client = new Client({ name: "config-check", version: "0.0.0" });
  clients.push(client);
  await client.connect(transport);
  const listed = await client.listTools();
  expect(listed.tools.map((t) => t.name)).toEqual(["echo"]);
  const echoed = await client.callTool({ name: "echo", arguments: { message: "configured" } });
  expect(JSON.stringify(echoed.content)).toContain("configured");
  const refused = await client.callTool({ name: "get-env", arguments: {} });
  expect(refused.isError).toBe(true);
  await client.close();
}

const stdioTransport = (command: string, args: string[], env: Record<string, string>) =>
  new StdioClientTransport({
    command,
    args,
    // Clients spawn servers from their own folder: nothing may depend on the working folder.
    cwd: os.tmpdir(),
    env: childEnv(env) as Record<string, string>,
    stderr: "ignore",
  });

describe("generated client configurations connect", () => {
  it("finds the launcher from any folder inside the project, and not outside it", () => {
    expect(findLauncher(path.join(REPO_ROOT, "lib", "core"))).toBe(
      path.join(REPO_ROOT, "bin", "portcullis.mjs"),
    );
    expect(findLauncher(os.tmpdir())).toBeNull();
  });

  it.each(["claude-code", "cursor"])(
    "%s: Streamable HTTP to the gateway",
    async (target) => {
      const entry = entryOf(target);
      await exercise(
        new StreamableHTTPClientTransport(new URL(entry.url ?? ""), {
          requestInit: { headers: entry.headers },
        }),
      );
    },
    30_000,
  );

  it("any Streamable HTTP client: the URL and the Authorization header", async () => {
    const [url, auth] = (configs.http?.text ?? "")
      .split("\n")
      .map((line) => line.replace(/^[^:]+: /, ""));
    await exercise(
      new StreamableHTTPClientTransport(new URL(url ?? ""), {
        requestInit: { headers: { Authorization: auth ?? "" } },
      }),
    );
  }, 30_000);

  it("Claude Desktop: the stdio entry spawns the launcher, which enforces for the agent", async () => {
    const entry = entryOf("claude-desktop");
    await exercise(stdioTransport(entry.command ?? "", entry.args ?? [], entry.env ?? {}));
  }, 60_000);

  it("the stdio command line runs in a POSIX shell", async () => {
    await exercise(stdioTransport("/bin/sh", ["-c", configs.stdio?.text ?? ""], {}));
  }, 60_000);

  it("every call was decided for the agent the key belongs to", () => {
    const decisions = auditRows(store.db).filter((r) => r.action === "tool_call.decide");
    expect(decisions.length).toBeGreaterThanOrEqual(10);
    expect(new Set(decisions.map((r) => r.actorId))).toEqual(new Set([agentId]));
    expect(new Set(decisions.map((r) => r.source))).toEqual(new Set(["gateway", "stdio"]));
  });
});
