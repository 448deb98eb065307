/**
 * Both protocol generations through the gateway, with the official SDKs on both sides:
 * a 2.x client pinned to 2026-07-28 and a 1.x client (2025-11-25), in front of a session-based
 * npm server (server-everything) and a stateless 2.x server of our own (fixtures/modern-server.mjs).
 */
import { type Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { listTools } from "@/lib/services/inventory";
import { testContext } from "@/lib/testing";
import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import { connectModern, type ModernServer, startModernServer } from "@/lib/testing/modern";
import { auditRows, connectHttp, serverEntry, tempDatabase } from "@/lib/testing/proxy";
import { type Gateway, startGateway } from "../serve";
import { gatewayTestOptions } from "./helpers";

const POLICY = `version: "1"
default: allow
tools:
  echo:
    rules:
      - name: no secrets
        action: evaluate
        conditions: [{ path: args.message, op: not_contains, value: "secret" }]
  add:
    rules:
      - action: deny
        reason: "Sums are off today"
  ask:
    rules:
      - rate_limit: 2/minute
`;

let t: ReturnType<typeof tempDatabase>;
let gw: Gateway;
let modern: ModernServer;
let modernOnly: ModernServer;
let key: string;

beforeAll(async () => {
  t = tempDatabase();
  modern = await startModernServer();
  modernOnly = await startModernServer({ env: { LEGACY: "reject" } });
  const everything = insertUpstream(t.db, {
    name: "everything",
    command: process.execPath,
    args: [serverEntry("everything"), "stdio"],
  });
  insertPolicyVersion(t.db, everything.id, POLICY);
  const stateless = insertUpstream(t.db, {
    name: "stateless",
    transport: "http",
    url: modern.url,
    command: null,
  });
  insertPolicyVersion(t.db, stateless.id, POLICY);
  const only = insertUpstream(t.db, {
    name: "stateless-only",
    transport: "http",
    url: modernOnly.url,
    command: null,
  });
  insertPolicyVersion(t.db, only.id, POLICY);
  key = insertAgentWithKey(t.db, { name: "generations" }).key;
  gw = await startGateway(gatewayTestOptions(t.db));
});

afterAll(async () => {
  await gw?.close();
  await modern?.stop();
  await modernOnly?.stop();
  t?.cleanup();
});

const text = (r: unknown) => (r as { content: { text: string }[] }).content[0]?.text;

describe("a 2026-07-28 client (2.x SDK) through the gateway", () => {
  it("reaches a 2025-11-25 npm server, the gateway holding the upstream session", async () => {
    const client = await connectModern(`${gw.url}/mcp/everything`, key);
    const tools = await client.listTools();
    expect(tools.tools.map((x) => x.name)).toContain("echo");
    expect(text(await client.callTool({ name: "echo", arguments: { message: "hello" } }))).toBe(
      "Echo: hello",
    );
    const refused = await client.callTool({ name: "echo", arguments: { message: "my secret" } });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain("[POLICY DENIED]");
    await client.close();
  });

  it("is asked a session-based server's sampling question as an input_required round trip", async () => {
    const client = await connectModern(`${gw.url}/mcp/everything`, key, {
      capabilities: { sampling: {} },
    });
    client.setRequestHandler("sampling/createMessage", async (req) => ({
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
    // One logical call: the first round is parked upstream, the retry takes it over.
    const rounds = auditRows(t.db).filter(
      (r) => r.action === "tool_call.decide" && r.tool === "trigger-sampling-request",
    );
    expect(rounds.map((r) => r.cause)).toEqual([null, "continuation"]);
    expect(rounds[1]?.correlationId).toBe(rounds[0]?.id);
  });

  it("cancels a parked call upstream when the client does not come back in time", async () => {
    const quick = insertUpstream(t.db, {
      name: "quick",
      command: process.execPath,
      args: [serverEntry("everything"), "stdio"],
      timeoutMs: 1_000,
    });
    insertPolicyVersion(t.db, quick.id, `version: "1"\ndefault: allow\n`);
    const res = await fetch(`${gw.url}/mcp/quick`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${key}`,
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": "trigger-sampling-request",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: {
          name: "trigger-sampling-request",
          arguments: { prompt: "never answered", maxTokens: 5 },
          _meta: {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": { sampling: {} },
          },
        },
      }),
    });
    const text = await res.text();
    const last = text
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .at(-1);
    const answer = JSON.parse(last ? last.slice(6) : text) as {
      result: { resultType: string; inputRequests: Record<string, { method: string }> };
    };
    expect(answer.result.resultType).toBe("input_required");
    expect(Object.values(answer.result.inputRequests).map((r) => r.method)).toEqual([
      "sampling/createMessage",
    ]);
    const decision = auditRows(t.db).findLast(
      (r) => r.action === "tool_call.decide" && r.server === "quick",
    );
    await expect
      .poll(
        () =>
          auditRows(t.db)
            .filter((r) => r.action === "tool_call.outcome" && r.correlationId === decision?.id)
            .map((r) => r.outcome),
        { timeout: 5_000 },
      )
      .toEqual(["input_required", "timeout"]);
  });

  it("reaches a stateless 2.x server, and an input_required round trip is one logical call", async () => {
    const client = await connectModern(`${gw.url}/mcp/stateless`, key, {
      onElicit: () => ({ action: "accept", content: { name: "Ada" } }),
    });
    expect(text(await client.callTool({ name: "echo", arguments: { message: "hi" } }))).toBe(
      "Echo: hi",
    );
    const denied = await client.callTool({ name: "add", arguments: { a: 1, b: 2 } });
    expect(denied.isError).toBe(true);
    expect(text(denied)).toContain("Sums are off today");

    const asked = await client.callTool({ name: "ask", arguments: { question: "name?" } });
    expect(text(asked)).toBe("You said: Ada");
    await client.close();

    // Two rounds on the wire, one logical call: the retry is decided again but charges nothing,
    // and its decision row points at the first one.
    const rounds = auditRows(t.db).filter(
      (r) => r.action === "tool_call.decide" && r.tool === "ask",
    );
    expect(rounds.map((r) => [r.decision, r.cause])).toEqual([
      ["allow", null],
      ["allow", "continuation"],
    ]);
    expect(rounds[1]?.correlationId).toBe(rounds[0]?.id);
    const outcomes = auditRows(t.db).filter(
      (r) => r.action === "tool_call.outcome" && r.tool === "ask",
    );
    await expect
      .poll(() =>
        auditRows(t.db)
          .filter((r) => r.action === "tool_call.outcome" && r.tool === "ask")
          .map((r) => r.outcome),
      )
      .toEqual(["input_required", "success"]);
    void outcomes;
  });
});

describe("a 2025-11-25 client (1.x SDK) through the gateway", () => {
  it("reaches a server that speaks both revisions over a session, as it would directly", async () => {
    const { client } = await connectHttp(`${gw.url}/mcp/stateless`, key);
    expect(text(await client.callTool({ name: "echo", arguments: { message: "old" } }))).toBe(
      "Echo: old",
    );
    await client.close();
  });

  it("reaches a stateless-only 2.x server: the gateway speaks the new revision upstream", async () => {
    const { client } = await connectHttp(`${gw.url}/mcp/stateless-only`, key, {
      capabilities: { elicitation: {} },
    });
    (client as LegacyClient).setRequestHandler(ElicitRequestSchema, async () => ({
      action: "accept",
      content: { name: "Grace" },
    }));
    expect(text(await client.callTool({ name: "echo", arguments: { message: "old" } }))).toBe(
      "Echo: old",
    );
    await client.ping();
    const refusedAdd = await client.callTool({ name: "add", arguments: { a: 1, b: 2 } });
    expect(refusedAdd.isError).toBe(true);
    // The gateway puts the stateless server's question to this client as an elicitation request,
    // then resends the same call with the answer: one decision, the limit charged once.
    const asked = await client.callTool({ name: "ask", arguments: { question: "name?" } });
    expect(text(asked)).toBe("You said: Grace");
    await client.close();
    const received = modernOnly.recorded() as { tool?: string; protocolVersion?: string }[];
    expect(received.length).toBeGreaterThan(0);
    expect(received.every((r) => r.protocolVersion === "2026-07-28")).toBe(true);
    // The stateless upstream's tools are in the inventory, so pinning applies to it too.
    const pinned = listTools(testContext(t.db), { server: "stateless-only" }).map((x) => x.name);
    expect(pinned).toEqual(expect.arrayContaining(["echo", "add", "ask"]));
  });
});

describe("a retried stateless call must continue its own first round", () => {
  // Another agent: the limit of 2 per minute is per agent, and the calls above used this one's.
  let other: string;
  beforeAll(() => {
    other = insertAgentWithKey(t.db, { name: "retrier" }).key;
  });
  const rawCall = async (id: number, params: Record<string, unknown>) => {
    const res = await fetch(`${gw.url}/mcp/stateless`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${other}`,
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": "ask",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id,
        method: "tools/call",
        params: {
          name: "ask",
          ...params,
          _meta: {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": { elicitation: {} },
          },
        },
      }),
    });
    const text = await res.text();
    const data = text
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .at(-1);
    return JSON.parse(data ? data.slice(6) : text) as {
      result?: { resultType?: string; requestState?: string };
      error?: { code: number; message: string };
    };
  };

  it("refuses a retry whose arguments differ from the round that asked for input", async () => {
    const first = await rawCall(8, { arguments: { question: "first" } });
    expect(first.result?.resultType).toBe("input_required");
    const retry = await rawCall(9, {
      arguments: { question: "something else" },
      inputResponses: { name: { action: "accept", content: { name: "Eve" } } },
      requestState: first.result?.requestState,
    });
    expect(retry.error).toMatchObject({
      code: -32602,
      message: expect.stringContaining("must match its first round"),
    });
    expect(auditRows(t.db).findLast((r) => r.action === "message.refuse")).toMatchObject({
      tool: "ask",
      reason: "the arguments of a retried call must match its first round",
    });
  });
});
