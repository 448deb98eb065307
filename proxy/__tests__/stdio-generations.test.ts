/**
 * `portcullis run` with clients of both protocol generations: the 2.x SDK client pinned to
 * 2026-07-28 and the 1.x client, over stdio, in front of server-everything (a 2025-11-25 server
 * that the proxy initializes itself when the client is stateless).
 */
import fs from "node:fs";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { connectModernStdio } from "@/lib/testing/modern";
import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import {
  auditRows,
  CLI_BUNDLE,
  connectStdio,
  ensureCliBundle,
  runCli,
  serverEntry,
  spawnGateway,
  tempDatabase,
} from "@/lib/testing/proxy";
import { EVERYTHING_POLICY } from "./helpers";

let t: ReturnType<typeof tempDatabase>;
let policy: string;

beforeAll(async () => {
  await ensureCliBundle();
  t = tempDatabase();
  policy = path.join(t.dir, "everything.yaml");
  fs.writeFileSync(policy, EVERYTHING_POLICY);
});

afterAll(() => {
  t?.cleanup();
});

const args = () => [
  "run",
  "--policy",
  policy,
  "--",
  process.execPath,
  serverEntry("everything"),
  "stdio",
];
const text = (r: unknown) => (r as { content: { text: string }[] }).content[0]?.text;

describe("portcullis run with a 2026-07-28 client", () => {
  it("serves discover, lists and calls without initialize, deciding every call", async () => {
    const { client } = await connectModernStdio(process.execPath, [CLI_BUNDLE, ...args()], {
      PORTCULLIS_DB: t.file,
      PORTCULLIS_LOG_LEVEL: "warn",
    });
    const tools = await client.listTools();
    expect(tools.tools.map((x) => x.name)).toContain("echo");
    expect(tools.tools.map((x) => x.name)).not.toContain("get-env");
    expect(
      text(await client.callTool({ name: "echo", arguments: { message: "over stdio" } })),
    ).toBe("Echo: over stdio");
    const refused = await client.callTool({ name: "echo", arguments: { message: "a secret" } });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain("[POLICY DENIED]");
    const progress: number[] = [];
    const long = await client.callTool(
      { name: "trigger-long-running-operation", arguments: { duration: 0.2, steps: 2 } },
      { onprogress: (p: { progress: number }) => progress.push(p.progress) } as never,
    );
    expect(text(long)).toContain("Long running operation completed");
    await client.close();
    const decisions = auditRows(t.db).filter(
      (r) => r.action === "tool_call.decide" && r.source === "stdio" && r.tool === "echo",
    );
    expect(decisions.map((r) => r.decision)).toEqual(["allow", "deny"]);
  });

  it("refuses a request whose envelope is malformed, with its id, and audits it", async () => {
    const before = auditRows(t.db).length;
    const res = await runCli(
      args(),
      { PORTCULLIS_DB: t.file },
      `${JSON.stringify({
        jsonrpc: "2.0",
        id: 5,
        method: "tools/list",
        params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } },
      })}\n${JSON.stringify({
        jsonrpc: "2.0",
        id: 6,
        method: "ping",
        params: {
          _meta: {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
          },
        },
      })}\n`,
    );
    const replies = res.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: number; error?: { code: number } });
    expect(replies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 5, error: expect.objectContaining({ code: -32602 }) }),
        expect.objectContaining({ id: 6, error: expect.objectContaining({ code: -32601 }) }),
      ]),
    );
    const refused = auditRows(t.db)
      .slice(before)
      .filter((r) => r.action === "message.refuse");
    expect(refused.map((r) => r.cause)).toEqual(["malformed", "unknown_method"]);
  });

  it("lets a cancelled request go at once: nothing answers it, and stdin's end stops the proxy", async () => {
    const meta = {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientCapabilities": {},
    };
    // Left in flight, the request would hold the proxy open for the call's time-out (60 s).
    const res = await runCli(
      args(),
      { PORTCULLIS_DB: t.file },
      `${JSON.stringify({
        jsonrpc: "2.0",
        id: 9,
        method: "tools/call",
        params: {
          name: "trigger-long-running-operation",
          arguments: { duration: 100, steps: 1 },
          _meta: meta,
        },
      })}\n${JSON.stringify({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: 9, reason: "not needed" },
      })}\n`,
    );
    expect(res.code).toBe(0);
    expect(res.stdout).not.toContain('"id":9');
  });
});

describe("portcullis run with a 2025-11-25 client", () => {
  it("still passes the client's own initialize to the server", async () => {
    const { client } = await connectStdio(args().slice(1), { PORTCULLIS_DB: t.file });
    expect(client.getServerVersion()?.name).toContain("everything");
    expect(text(await client.callTool({ name: "echo", arguments: { message: "old" } }))).toBe(
      "Echo: old",
    );
    await client.close();
  });
});

describe("a stdio-only client reaching the gateway through portcullis run --upstream", () => {
  it("is decided by the gateway for the gateway's agent, with the key sent only to the gateway", async () => {
    const gwDb = tempDatabase();
    const up = insertUpstream(gwDb.db, {
      name: "everything",
      command: process.execPath,
      args: [serverEntry("everything"), "stdio"],
    });
    insertPolicyVersion(gwDb.db, up.id, `version: "1"\ndefault: allow\nhide: [get-sum]\n`);
    const agent = insertAgentWithKey(gwDb.db, { name: "bridged" });
    const gw = await spawnGateway(gwDb.file);
    try {
      const { client } = await connectStdio(
        [
          "--policy",
          policy,
          "--upstream",
          `${gw.url}/mcp/everything`,
          "--header",
          `Authorization: Bearer ${agent.key}`,
        ],
        { PORTCULLIS_DB: t.file },
      );
      const names = (await client.listTools()).tools.map((x) => x.name);
      expect(names).toContain("echo");
      expect(names).not.toContain("get-sum"); // the gateway's policy
      expect(names).not.toContain("get-env"); // the local policy
      expect(text(await client.callTool({ name: "echo", arguments: { message: "bridged" } }))).toBe(
        "Echo: bridged",
      );
      await client.close();
      const atGateway = auditRows(gwDb.db).filter((r) => r.action === "tool_call.decide");
      expect(atGateway.map((r) => r.actorLabel)).toEqual(["bridged"]);
    } finally {
      await gw.stop();
      gwDb.cleanup();
    }
  });
});
