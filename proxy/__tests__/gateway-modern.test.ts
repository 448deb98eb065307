import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import { auditRows, serverEntry, tempDatabase } from "@/lib/testing/proxy";
import { type Gateway, startGateway } from "../serve";
import { EVERYTHING_POLICY, gatewayTestOptions } from "./helpers";

const VERSION = "2026-07-28";

let t: ReturnType<typeof tempDatabase>;
let gw: Gateway;
let url: string;
let key: string;

beforeAll(async () => {
  t = tempDatabase();
  const up = insertUpstream(t.db, {
    name: "everything",
    command: process.execPath,
    args: [serverEntry("everything"), "stdio"],
  });
  insertPolicyVersion(t.db, up.id, EVERYTHING_POLICY);
  key = insertAgentWithKey(t.db, { name: "modern-agent" }).key;
  gw = await startGateway(gatewayTestOptions(t.db));
  url = `${gw.url}/mcp/everything`;
});

afterAll(async () => {
  await gw?.close();
  t?.cleanup();
});

const NAMED: Record<string, string> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri",
};

/** A stateless request with the standard headers and `_meta` envelope; `over` replaces parts. */
async function modern(
  method: string,
  params: Record<string, unknown> = {},
  over: {
    headers?: Record<string, string>;
    meta?: Record<string, unknown> | null;
    id?: number;
  } = {},
): Promise<{ status: number; type: string; body: Record<string, unknown>; text: string }> {
  const meta =
    over.meta === null
      ? undefined
      : {
          "io.modelcontextprotocol/protocolVersion": VERSION,
          "io.modelcontextprotocol/clientCapabilities": {},
          "io.modelcontextprotocol/clientInfo": { name: "raw-modern", version: "1" },
          ...over.meta,
        };
  const field = NAMED[method];
  const name = field ? params[field] : undefined;
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${key}`,
      "mcp-protocol-version": VERSION,
      "mcp-method": method,
      ...(typeof name === "string" ? { "mcp-name": name } : {}),
      ...over.headers,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: over.id ?? 1,
      method,
      params: meta ? { ...params, _meta: meta } : params,
    }),
  });
  const text = await res.text();
  const type = res.headers.get("content-type") ?? "";
  const json = type.includes("event-stream")
    ? (JSON.parse(
        text
          .split("\n")
          .filter((l) => l.startsWith("data: "))
          .at(-1)
          ?.slice(6) ?? "{}",
      ) as Record<string, unknown>)
    : (JSON.parse(text || "{}") as Record<string, unknown>);
  return { status: res.status, type, body: json, text };
}

describe("stateless 2026-07-28 requests through the gateway", () => {
  it("serves server/discover, lists and calls without initialize or a session", async () => {
    const discover = await modern("server/discover");
    expect(discover.status).toBe(200);
    expect(discover.body.result).toMatchObject({
      resultType: "complete",
      supportedVersions: [VERSION],
      capabilities: { tools: {} },
      ttlMs: 0,
      cacheScope: "private",
    });

    const list = await modern("tools/list");
    const result = list.body.result as {
      tools: { name: string }[];
      ttlMs: number;
      cacheScope: string;
    };
    expect(result.tools.map((x) => x.name)).toContain("echo");
    expect(result.tools.map((x) => x.name)).not.toContain("get-env");
    expect(result).toMatchObject({ resultType: "complete", ttlMs: 0, cacheScope: "private" });

    const call = await modern("tools/call", { name: "echo", arguments: { message: "hi" } });
    expect(call.body).toMatchObject({
      id: 1,
      result: { resultType: "complete", content: [{ type: "text", text: "Echo: hi" }] },
    });
    expect(call.text).not.toContain("mcp-session-id");

    const refused = await modern("tools/call", {
      name: "echo",
      arguments: { message: "a secret" },
    });
    expect(refused.body).toMatchObject({ result: { isError: true, resultType: "complete" } });
    const decisions = auditRows(t.db).filter(
      (r) => r.action === "tool_call.decide" && r.tool === "echo",
    );
    expect(decisions.map((r) => r.decision)).toEqual(["allow", "deny"]);
  });

  it("refuses a bad envelope, an unsupported version and mismatched headers with the request's id", async () => {
    const noMeta = await modern("tools/list", {}, { meta: null, id: 7 });
    expect(noMeta.status).toBe(400);
    expect(noMeta.body).toMatchObject({ id: 7, error: { code: -32602 } });

    const noCaps = await modern(
      "tools/list",
      {},
      { meta: { "io.modelcontextprotocol/clientCapabilities": null }, id: 8 },
    );
    expect(noCaps.status).toBe(400);
    expect(noCaps.body).toMatchObject({ id: 8, error: { code: -32602 } });

    const future = await modern(
      "tools/list",
      {},
      {
        meta: { "io.modelcontextprotocol/protocolVersion": "2099-01-01" },
        headers: { "mcp-protocol-version": "2099-01-01" },
        id: 9,
      },
    );
    expect(future.status).toBe(400);
    expect(future.body).toMatchObject({
      id: 9,
      error: { code: -32022, data: { supported: [VERSION], requested: "2099-01-01" } },
    });

    const versionMismatch = await modern(
      "tools/list",
      {},
      { headers: { "mcp-protocol-version": "2025-11-25" }, id: 10 },
    );
    expect(versionMismatch.status).toBe(400);
    expect(versionMismatch.body).toMatchObject({ id: 10, error: { code: -32020 } });

    const methodMismatch = await modern(
      "tools/list",
      {},
      { headers: { "mcp-method": "prompts/list" }, id: 11 },
    );
    expect(methodMismatch.body).toMatchObject({ id: 11, error: { code: -32020 } });

    // The header is checked against the body before anything is decided: a call cannot hide its tool.
    const nameMismatch = await modern(
      "tools/call",
      { name: "get-env", arguments: {} },
      { headers: { "mcp-name": "echo" }, id: 12 },
    );
    expect(nameMismatch.status).toBe(400);
    expect(nameMismatch.body).toMatchObject({ id: 12, error: { code: -32020 } });
    const encoded = await modern(
      "tools/call",
      { name: "echo", arguments: { message: "b64" } },
      { headers: { "mcp-name": `=?base64?${Buffer.from("echo").toString("base64")}?=` }, id: 13 },
    );
    expect(encoded.body).toMatchObject({ id: 13, result: { content: [{ text: "Echo: b64" }] } });
  });

  it("answers removed methods with 404 and -32601, carrying the id", async () => {
    for (const [i, method] of [
      "initialize",
      "ping",
      "logging/setLevel",
      "resources/subscribe",
      "resources/unsubscribe",
      "no/such-method",
    ].entries()) {
      const r = await modern(method, method === "logging/setLevel" ? { level: "debug" } : {}, {
        id: 100 + i,
      });
      expect(r.status, method).toBe(404);
      expect(r.body, method).toMatchObject({ id: 100 + i, error: { code: -32601 } });
    }
  });

  it("streams progress for a call that asks for it, and drops log messages unless the request set a level", async () => {
    const r = await modern(
      "tools/call",
      { name: "trigger-long-running-operation", arguments: { duration: 0.2, steps: 2 } },
      { meta: { progressToken: "p-1" } },
    );
    expect(r.type).toContain("text/event-stream");
    const events = r.text
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .map(
        (l) => JSON.parse(l.slice(6)) as { method?: string; params?: { progressToken?: unknown } },
      );
    expect(
      events
        .filter((e) => e.method === "notifications/progress")
        .map((e) => e.params?.progressToken),
    ).toContain("p-1");
    expect(events.at(-1)).toMatchObject({ id: 1, result: { resultType: "complete" } });
  });

  it("a 2026-07-28 request never joins a session, and a session-based client still works alongside", async () => {
    const init = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${key}`,
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: "2025-11-25",
          capabilities: {},
          clientInfo: { name: "old", version: "1" },
        },
      }),
    });
    expect(init.status).toBe(200);
    const session = init.headers.get("mcp-session-id");
    expect(session).toBeTruthy();
    const withSession = await modern(
      "tools/list",
      {},
      { headers: { "mcp-session-id": session ?? "" } },
    );
    expect(withSession.body).toMatchObject({ result: { resultType: "complete" } });
  });
});
