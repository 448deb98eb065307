// INV-7: an agent's credential never reaches an upstream, and the gateway's own settings never
// reach a stdio upstream's environment. The upstreams here report what they received: an MCP
// server over HTTP that records the headers of every request, and the reference server's get-env.
import http from "node:http";
import type { AddressInfo } from "node:net";

import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { createUpstream } from "@/lib/services/upstreams";
import { testContext } from "@/lib/testing";
import { insertAgentWithKey, insertPolicyVersion } from "@/lib/testing/factories";
import {
  auditRows,
  connectHttp,
  connectStdio,
  ensureCliBundle,
  serverEntry,
  spawnGateway,
  tempDatabase,
} from "@/lib/testing/proxy";
import { type Gateway, startGateway } from "../serve";
import { cliInProcess, gatewayTestOptions } from "./helpers";

const UPSTREAM_AUTH = "Bearer upstream-credential-7d41c0";
const UPSTREAM_ENV = "upstream-env-credential-2b9e";
const ALLOW_ALL = `version: "1"\ndefault: allow\n`;
/** Settings the gateway and the stdio proxy hold that no upstream may see. */
const GATEWAY_SECRETS = {
  PORTCULLIS_AUDIT_HMAC_KEY: "h".repeat(40),
  PORTCULLIS_CHECKPOINT_KEY: "c".repeat(40),
  PORTCULLIS_METRICS_TOKEN: "metrics-token-credential",
};

/** An MCP server over Streamable HTTP that keeps the headers of every request it receives. */
async function headerRecordingServer() {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ ...req.headers });
    const mcp = new McpServer({ name: "header-recorder", version: "1.0.0" });
    mcp.registerTool("ping_upstream", { description: "Answers pong", inputSchema: {} }, () => ({
      content: [{ type: "text", text: "pong" }],
    }));
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on("close", () => {
      void transport.close();
      void mcp.close();
    });
    void mcp.connect(transport).then(() => transport.handleRequest(req, res));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Every header value an upstream received, joined, for "does it contain" checks. */
const allHeaderText = (seen: http.IncomingHttpHeaders[]) => JSON.stringify(seen);

let t: ReturnType<typeof tempDatabase>;
let db: Db;
let agentKey: string;
let recorder: Awaited<ReturnType<typeof headerRecordingServer>>;

beforeAll(async () => {
  await ensureCliBundle();
  t = tempDatabase();
  db = t.db;
  recorder = await headerRecordingServer();
  // Through the services, as the console does: the upstream's own credentials are stored sealed.
  const remote = createUpstream(testContext(db), {
    name: "remote",
    transport: "http",
    url: recorder.url,
    headers: { Authorization: UPSTREAM_AUTH },
  });
  const everything = createUpstream(testContext(db), {
    name: "everything",
    transport: "stdio",
    command: process.execPath,
    args: [serverEntry("everything"), "stdio"],
    env: { UPSTREAM_TOKEN: UPSTREAM_ENV },
  });
  insertPolicyVersion(db, remote.id, ALLOW_ALL);
  insertPolicyVersion(db, everything.id, ALLOW_ALL);
  agentKey = insertAgentWithKey(db, { name: "inv7-agent" }).key;
});

afterAll(async () => {
  await recorder?.close();
  t?.cleanup();
});

function expectNoAgentCredential(text: string) {
  expect(text).not.toContain(agentKey);
  // Not even a fragment of it: the part after the prefix is the secret.
  expect(text).not.toContain(agentKey.slice(-24));
}

/** The environment server-everything's get-env reports (its own process.env). */
async function upstreamEnv(client: {
  callTool: (p: { name: string; arguments: Record<string, unknown> }) => Promise<unknown>;
}): Promise<Record<string, string>> {
  const res = (await client.callTool({ name: "get-env", arguments: {} })) as {
    content: { type: string; text: string }[];
  };
  return JSON.parse(res.content[0]?.text ?? "{}") as Record<string, string>;
}

function expectCleanEnvironment(env: Record<string, string>) {
  expect(Object.keys(env).filter((k) => k.startsWith("PORTCULLIS_"))).toEqual([]);
  const text = JSON.stringify(env);
  expectNoAgentCredential(text);
  for (const secret of Object.values(GATEWAY_SECRETS)) expect(text).not.toContain(secret);
  // The upstream's own configured variable does arrive, opened from its sealed form.
  expect(env.UPSTREAM_TOKEN).toBe(UPSTREAM_ENV);
}

describe("HTTP upstreams never see the agent's credential", () => {
  it("through the gateway: the upstream gets its own Authorization on every request, never the agent's", async () => {
    recorder.seen.length = 0;
    const gw: Gateway = await startGateway(gatewayTestOptions(db));
    try {
      const { client } = await connectHttp(`${gw.url}/mcp/remote`, agentKey);
      const res = await client.callTool({ name: "ping_upstream", arguments: {} });
      expect(res.content).toEqual([{ type: "text", text: "pong" }]);
      await client.close();
    } finally {
      await gw.close();
    }
    expect(recorder.seen.length).toBeGreaterThanOrEqual(2); // initialize, then the call at least
    for (const headers of recorder.seen) expect(headers.authorization).toBe(UPSTREAM_AUTH);
    expectNoAgentCredential(allHeaderText(recorder.seen));
    // Neither credential lands in the audit log.
    const audit = JSON.stringify(auditRows(db));
    expectNoAgentCredential(audit);
    expect(audit).not.toContain("upstream-credential");
  });

  it("through portcullis run --server: the stdio proxy bridges with the upstream's headers only", async () => {
    recorder.seen.length = 0;
    const { client } = await connectStdio(["--server", "remote"], {
      PORTCULLIS_DB: t.file,
      PORTCULLIS_AGENT_KEY: agentKey,
      ...GATEWAY_SECRETS,
    });
    try {
      const res = await client.callTool({ name: "ping_upstream", arguments: {} });
      expect(res.content).toEqual([{ type: "text", text: "pong" }]);
    } finally {
      await client.close();
    }
    expect(recorder.seen.length).toBeGreaterThanOrEqual(2);
    for (const headers of recorder.seen) expect(headers.authorization).toBe(UPSTREAM_AUTH);
    const text = allHeaderText(recorder.seen);
    expectNoAgentCredential(text);
    for (const secret of Object.values(GATEWAY_SECRETS)) expect(text).not.toContain(secret);
  });
});

describe("stdio upstreams never see the agent's key or PORTCULLIS_* settings", () => {
  it("started by the gateway (portcullis serve with its settings in its environment)", async () => {
    const gw = await spawnGateway(t.file, GATEWAY_SECRETS);
    try {
      const { client } = await connectHttp(`${gw.url}/mcp/everything`, agentKey);
      expectCleanEnvironment(await upstreamEnv(client));
      await client.close();
    } finally {
      await gw.stop();
    }
  });

  it("started by portcullis run --server with the agent key in PORTCULLIS_AGENT_KEY", async () => {
    const { client } = await connectStdio(["--server", "everything"], {
      PORTCULLIS_DB: t.file,
      PORTCULLIS_AGENT_KEY: agentKey,
      ...GATEWAY_SECRETS,
    });
    try {
      expectCleanEnvironment(await upstreamEnv(client));
    } finally {
      await client.close();
    }
  });
});

describe("portcullis secrets rotate-key", () => {
  it("re-seals the upstream credentials, and a running gateway keeps connecting with them", async () => {
    const gw: Gateway = await startGateway(gatewayTestOptions(db));
    try {
      const rotated = await cliInProcess(["secrets", "rotate-key"], { PORTCULLIS_DB: t.file });
      expect(rotated.code).toBe(0);
      expect(rotated.stdout).toMatch(
        /^new key [0-9a-f]{16} written to .*portcullis\.secrets\.key$/m,
      );
      expect(rotated.stdout).toMatch(
        /2 upstream secret values re-sealed; retired keys: [0-9a-f]{16}/,
      );
      expect(rotated.stdout + rotated.stderr).not.toContain("upstream-credential");

      recorder.seen.length = 0;
      const { client } = await connectHttp(`${gw.url}/mcp/remote`, agentKey);
      await client.callTool({ name: "ping_upstream", arguments: {} });
      await client.close();
      expect(recorder.seen.length).toBeGreaterThan(0);
      for (const headers of recorder.seen) expect(headers.authorization).toBe(UPSTREAM_AUTH);
    } finally {
      await gw.close();
    }
  });
});
