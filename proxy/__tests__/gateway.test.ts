import http from "node:http";

import { CreateMessageRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  insertAgentWithKey,
  insertGrant,
  insertPolicyVersion,
  insertUpstream,
} from "@/lib/testing/factories";
import {
  auditRows,
  connectHttp,
  eventually,
  FIXTURES,
  serverEntry,
  tempDatabase,
  must,
} from "@/lib/testing/proxy";
import { EVERYTHING_POLICY, INIT, rawPost, revokeKeyDirect } from "./helpers";
import { type Gateway, startGateway } from "../serve";

let t: ReturnType<typeof tempDatabase>;
let gw: Gateway;
let key: string;
let agentId: string;
let everythingId: string;

const options = (db: ReturnType<typeof tempDatabase>["db"]) => ({
  db,
  host: "127.0.0.1",
  port: 0,
  allowedOrigins: ["http://console.test"],
  upstreamTimeoutMs: 5_000,
  approvalWaitMs: 0,
  maxBodyBytes: 64 * 1024,
  maxJsonDepth: 32,
  maxSessions: 16,
  sessionIdleMs: 60_000,
});

beforeAll(async () => {
  t = tempDatabase();
  const everything = insertUpstream(t.db, {
    name: "everything",
    command: process.execPath,
    args: [serverEntry("everything"), "stdio"],
  });
  everythingId = everything.id;
  insertPolicyVersion(t.db, everything.id, EVERYTHING_POLICY);
  insertUpstream(t.db, {
    name: "rec",
    command: process.execPath,
    args: [`${FIXTURES}/recording-server.mjs`],
  });
  const a = insertAgentWithKey(t.db, { name: "gateway-agent" });
  key = a.key;
  agentId = a.agent.id;
  gw = await startGateway(options(t.db));
});

afterAll(async () => {
  await gw?.close();
  t?.cleanup();
});

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  rawPost(`${gw.url}${path}`, body, headers);

describe("gateway over Streamable HTTP with server-everything", () => {
  it("passes tools, resources and prompts through and decides calls", async () => {
    const { client } = await connectHttp(`${gw.url}/mcp/everything`, key);
    const tools = await client.listTools();
    const names = tools.tools.map((x) => x.name);
    expect(names).toContain("echo");
    expect(names).not.toContain("get-env");

    const ok = await client.callTool({ name: "echo", arguments: { message: "hello" } });
    expect(ok.content).toEqual([{ type: "text", text: "Echo: hello" }]);

    const denied = await client.callTool({ name: "echo", arguments: { message: "my secret" } });
    expect(denied.isError).toBe(true);
    expect((denied.content as { text: string }[])[0]?.text).toMatch(
      /^\[POLICY DENIED\] Denied by rule "no secrets" \(decision evt_/,
    );

    const hidden = await client.callTool({ name: "get-env", arguments: {} });
    expect((hidden.content as { text: string }[])[0]?.text).toContain(
      'Tool "get-env" is hidden by policy',
    );

    const resources = await client.listResources();
    expect(resources.resources.length).toBeGreaterThan(0);
    const first = resources.resources[0];
    const read = await client.readResource({ uri: must(first).uri });
    expect(read.contents.length).toBeGreaterThan(0);
    const prompts = await client.listPrompts();
    expect(prompts.prompts.length).toBeGreaterThan(0);
    await client.close();

    const decisions = await eventually(() => {
      const rows = auditRows(t.db).filter(
        (r) => r.action === "tool_call.decide" && r.actorId === agentId,
      );
      const outcomes = auditRows(t.db).filter(
        (r) => r.action === "tool_call.outcome" && r.actorId === agentId,
      );
      return rows.length >= 3 && outcomes.length >= 1 ? { rows, outcomes } : null;
    });
    expect(decisions.rows.map((r) => [r.tool, r.decision, r.cause])).toEqual([
      ["echo", "allow", null],
      ["echo", "deny", "condition"],
      ["get-env", "deny", "hidden"],
    ]);
    expect(decisions.outcomes[0]).toMatchObject({
      outcome: "success",
      correlationId: must(decisions.rows[0]).id,
    });
  });

  it("forwards sampling requests from the server to the client and back", async () => {
    const { client } = await connectHttp(`${gw.url}/mcp/everything`, key, {
      capabilities: { sampling: {} },
    });
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
      model: "test-model",
      role: "assistant",
      content: {
        type: "text",
        text: `sampled: ${(req.params.messages[0]?.content as { text: string }).text}`,
      },
    }));
    const result = await client.callTool({
      name: "trigger-sampling-request",
      arguments: { prompt: "ping", maxTokens: 5 },
    });
    expect(JSON.stringify(result.content)).toContain(
      "sampled: Resource trigger-sampling-request context: ping",
    );
    await client.close();
  });

  it("delivers progress notifications for a long-running call", async () => {
    const { client } = await connectHttp(`${gw.url}/mcp/everything`, key);
    const progress: number[] = [];
    const result = await client.callTool(
      { name: "trigger-long-running-operation", arguments: { duration: 0.3, steps: 3 } },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(JSON.stringify(result.content)).toContain("Long running operation completed");
    // The SDK client handles a notification a microtask later than a response, so the last
    // progress event can lose the race with the result when both arrive in one read.
    expect(progress.slice(0, 2)).toEqual([1, 2]);
    await client.close();
  });
});

describe("gateway authentication and framing", () => {
  it("refuses a bad key with 401 before any MCP handling, and audits it", async () => {
    const before = auditRows(t.db).length;
    const res = await post("/mcp/everything", INIT, { authorization: "Bearer pcs_not-a-real-key" });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
    const missing = await post("/mcp/everything", INIT);
    expect(missing.status).toBe(401);
    const rows = auditRows(t.db)
      .slice(before)
      .filter((r) => r.action === "message.refuse");
    expect(rows.map((r) => [r.action, r.decision, r.cause, r.reason])).toEqual([
      ["message.refuse", "deny", "unauthenticated", "unknown key"],
      ["message.refuse", "deny", "unauthenticated", "no bearer token"],
    ]);
  });

  it("refuses a revoked key, and ends the session it opened", async () => {
    const other = insertAgentWithKey(t.db);
    const { client } = await connectHttp(`${gw.url}/mcp/everything`, other.key);
    await client.listTools();
    revokeKeyDirect(t.db, other.keyRow.id);
    await expect(client.listTools()).rejects.toThrow();
    const res = await post("/mcp/everything", INIT, { authorization: `Bearer ${other.key}` });
    expect(res.status).toBe(401);
    expect(auditRows(t.db).findLast((r) => r.action === "message.refuse")).toMatchObject({
      action: "message.refuse",
      reason: "revoked key",
    });
    await client.close().catch(() => {});
  });

  it("refuses a Host other than loopback or the bind address (DNS rebinding), audited", async () => {
    const before = auditRows(t.db).length;
    // fetch may not set Host, so this request is written by hand.
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${gw.url}/mcp/everything`,
        {
          method: "POST",
          headers: {
            host: "evil.example.com",
            authorization: `Bearer ${key}`,
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(INIT);
    });
    expect(rebound).toBe(403);
    expect(
      auditRows(t.db)
        .slice(before)
        .filter((r) => r.action === "message.refuse"),
    ).toMatchObject([{ cause: "unauthenticated", reason: "foreign Host" }]);
    const local = await post("/mcp/everything", INIT, {
      authorization: `Bearer ${key}`,
      host: `localhost:${new URL(gw.url).port}`,
      origin: `http://localhost:5173`,
    });
    expect(local.status).toBe(200);
  });

  it("refuses a foreign Origin and accepts an allowed one", async () => {
    const foreign = await post("/mcp/everything", INIT, {
      authorization: `Bearer ${key}`,
      origin: "https://evil.example",
    });
    expect(foreign.status).toBe(403);
    const allowed = await post("/mcp/everything", INIT, {
      authorization: `Bearer ${key}`,
      origin: "http://console.test",
    });
    expect(allowed.status).toBe(200);
    const session = allowed.headers.get("mcp-session-id");
    expect(session).toBeTruthy();
    await fetch(`${gw.url}/mcp/everything`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${key}`, "mcp-session-id": must(session) },
    });
  });

  it("binds a session to the agent that opened it", async () => {
    const res = await post("/mcp/everything", INIT, { authorization: `Bearer ${key}` });
    const session = must(res.headers.get("mcp-session-id"));
    const intruder = insertAgentWithKey(t.db);
    const hijack = await post(
      "/mcp/everything",
      JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
      {
        authorization: `Bearer ${intruder.key}`,
        "mcp-session-id": session,
        "mcp-protocol-version": "2025-06-18",
      },
    );
    expect(hijack.status).toBe(404);
    expect(auditRows(t.db).findLast((r) => r.action === "message.refuse")).toMatchObject({
      action: "message.refuse",
      cause: "unauthenticated",
      actorId: intruder.agent.id,
    });
    await fetch(`${gw.url}/mcp/everything`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${key}`, "mcp-session-id": session },
    });
  });

  it("refuses batches, malformed JSON, deep nesting and oversize bodies, each with one audit row", async () => {
    const before = auditRows(t.db).length;
    const auth = { authorization: `Bearer ${key}` };
    expect((await post("/mcp/everything", `[${INIT}]`, auth)).status).toBe(400);
    expect((await post("/mcp/everything", "{not json", auth)).status).toBe(400);
    expect((await post("/mcp/everything", `${"[".repeat(40)}${"]".repeat(40)}`, auth)).status).toBe(
      400,
    );
    expect(
      (await post("/mcp/everything", JSON.stringify({ pad: "x".repeat(70 * 1024) }), auth)).status,
    ).toBe(413);
    const rows = auditRows(t.db)
      .slice(before)
      .filter((r) => r.action === "message.refuse");
    expect(rows.map((r) => r.cause)).toEqual(["batch", "malformed", "malformed", "oversize"]);

    // The id is answered whenever it can be read safely, so the client's request does not hang.
    const deep = await post(
      "/mcp/everything",
      `{"jsonrpc":"2.0","id":41,"method":"tools/list","params":{"x":${"[".repeat(40)}${"]".repeat(40)}}}`,
      auth,
    );
    expect(await deep.json()).toMatchObject({ id: 41, error: { code: -32700 } });
    const big = await post(
      "/mcp/everything",
      JSON.stringify({
        jsonrpc: "2.0",
        id: "big-1",
        method: "tools/call",
        pad: "x".repeat(70 * 1024),
      }),
      auth,
    );
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ id: "big-1", error: { code: -32600 } });
    expect(rows.every((r) => r.action === "message.refuse" && r.decision === "deny")).toBe(true);
  });

  it("refuses non-object arguments and unknown methods inside a session", async () => {
    const { client, transport } = await connectHttp(`${gw.url}/mcp/everything`, key);
    const before = auditRows(t.db).length;
    await expect(
      client.request(
        { method: "tools/call", params: { name: "echo", arguments: "rm -rf" } } as never,
        (await import("@modelcontextprotocol/sdk/types.js")).CallToolResultSchema,
      ),
    ).rejects.toThrow(/arguments must be a JSON object/);
    await expect(
      client.request(
        { method: "admin/shutdown", params: {} } as never,
        (await import("@modelcontextprotocol/sdk/types.js")).EmptyResultSchema,
      ),
    ).rejects.toThrow(/Method not found/);
    const rows = auditRows(t.db)
      .slice(before)
      .filter((r) => r.action !== "tool_call.outcome");
    expect(rows.map((r) => [r.action, r.cause])).toEqual([
      ["message.refuse", "malformed"],
      ["message.refuse", "unknown_method"],
    ]);
    void transport;
    await client.close();
  });

  it("serves /healthz and /metrics", async () => {
    const health = await fetch(`${gw.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", database: "ok" });
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain(
      'portcullis_tool_calls_total{server="everything",tool="echo",decision="allow"}',
    );
    expect(metrics).toMatch(/portcullis_fail_open_total 0/);
    expect(metrics).toContain("portcullis_tool_call_duration_seconds_bucket");
  });
});

describe("enforcement follows the database", () => {
  it("applies a policy version saved mid-session on the very next call", async () => {
    const { client } = await connectHttp(`${gw.url}/mcp/everything`, key);
    expect(
      (await client.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } })).isError,
    ).toBeFalsy();
    insertPolicyVersion(t.db, everythingId, `version: "1"\ndefault: allow\nhide: [get-sum]\n`);
    const after = await client.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } });
    expect(after.isError).toBe(true);
    expect(JSON.stringify(after.content)).toContain("hidden by policy");
    expect((await client.listTools()).tools.map((x) => x.name)).not.toContain("get-sum");
    insertPolicyVersion(t.db, everythingId, `version: "1"\ndefault: allow\n`);
    await client.close();
  });

  it("under default deny shows and allows only granted tools", async () => {
    const up = insertUpstream(t.db, { args: [serverEntry("everything"), "stdio"] });
    insertPolicyVersion(t.db, up.id, `version: "1"\ndefault: deny\n`);
    const a = insertAgentWithKey(t.db);
    const { client } = await connectHttp(`${gw.url}/mcp/${up.name}`, a.key);
    expect((await client.listTools()).tools).toEqual([]);
    expect((await client.callTool({ name: "echo", arguments: { message: "x" } })).isError).toBe(
      true,
    );
    insertGrant(t.db, { agentId: a.agent.id, upstreamId: up.id, toolPattern: "echo" });
    expect((await client.listTools()).tools.map((x) => x.name)).toEqual(["echo"]);
    expect((await client.callTool({ name: "echo", arguments: { message: "x" } })).content).toEqual([
      { type: "text", text: "Echo: x" },
    ]);
    await client.close();
  });
});
