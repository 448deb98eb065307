/**
 * The 2026-07-28 building blocks, checked directly against the fixture (no gateway in between):
 * fixtures/modern-server.mjs (built with @modelcontextprotocol/server 2.x), the pinned 2.x client
 * and the raw-POST helper in lib/testing/modern.ts.
 *
 * Findings recorded here (SDK 2.4.0, @modelcontextprotocol/node 2.1.2):
 * - Version pinning: `new Client(info, { versionNegotiation: { mode: { pin: "2026-07-28" } } })`.
 *   connect() sends `server/discover` (no initialize), then every request carries the `_meta`
 *   envelope and the MCP-Protocol-Version / Mcp-Method / Mcp-Name headers. The default mode is
 *   "legacy" (plain 2025 initialize); "auto" probes and may fall back; a pin never falls back:
 *   against a 2025-only server connect() rejects with SdkError code "ERA_NEGOTIATION_FAILED".
 * - MRTR: the client fulfils an `input_required` result inside callTool() (ClientOptions
 *   `inputRequired: { autoFulfill: true (default), maxRounds: 10 }`). Each embedded
 *   `elicitation/create` is handed to the handler registered with
 *   `client.setRequestHandler("elicitation/create", …)` — the same handler a 2025 connection uses
 *   for pushed requests — and the call is retried on a new JSON-RPC id with `inputResponses` and
 *   the byte-exact `requestState`. callTool() resolves with the final result. With
 *   `autoFulfill: false` the call rejects unless it passes `{ allowInputRequired: true }`, which
 *   returns the InputRequiredResult itself.
 * - The 2.x server is dual-era by default: `createMcpHandler(factory)` (legacy: "stateless")
 *   answers a 2025-11-25 `initialize` and then serves each legacy request from a fresh instance,
 *   with no Mcp-Session-Id; GET/DELETE get 405. So the 1.x SDK client works against the same URL
 *   for plain calls. `legacy: "reject"` (LEGACY=reject in the fixture) makes it modern-only.
 *   MRTR on the legacy leg: the SDK's shim would turn `input_required` into a pushed
 *   `elicitation/create`, but per-request legacy HTTP serving has no way to receive the answer
 *   (nor the client's capabilities), so a 1.x client calling `ask` over HTTP gets an isError
 *   tool result and no elicitation. Over stdio the legacy connection is sessionful and the shim
 *   works: the 1.x client's elicitation handler is called and `ask` completes.
 * - stdio: `serveStdio(factory)` from @modelcontextprotocol/server/stdio serves a stateless
 *   2026-07-28 connection (the opening exchange picks the era and pins the connection), so the
 *   fixture also runs with `--stdio`, and the pinned 2.x stdio client works against it.
 * - Caching: the SDK puts `ttlMs: 0, cacheScope: "private"` on cacheable results unless
 *   `cacheHints` say otherwise; the fixture says 30000 / "public" for tools/list and discover. The
 *   2.x client caches those results for ttlMs (`{ cacheMode: "refresh" }` forces a round trip).
 *   Discover advertises `listChanged: true` for tools, resources and prompts (SDK default;
 *   `subscriptions/listen` is served by createMcpHandler).
 */
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport as LegacyStdioTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport as LegacyHttpTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { FIXTURES } from "@/lib/testing/proxy";
import {
  connectModern,
  connectModernStdio,
  MODERN_PROTOCOL_VERSION,
  MODERN_SERVER_ENTRY,
  type ModernServer,
  modernMeta,
  rawModernPost,
  startModernServer,
} from "@/lib/testing/modern";

type Text = { type: string; text?: string };
const textOf = (r: { content?: unknown }) =>
  ((r.content ?? []) as Text[]).map((c) => c.text ?? "").join("");

let server: ModernServer;

beforeAll(async () => {
  server = await startModernServer();
});

afterAll(async () => {
  await server?.stop();
});

describe("2.x client pinned to 2026-07-28", () => {
  it("sends server/discover, never initialize, with the 2026 headers and the bearer key", async () => {
    const sent: { method: string; headers: Record<string, string>; meta: unknown }[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const body = JSON.parse(String(init?.body ?? "{}")) as {
        method: string;
        params?: { _meta?: unknown };
      };
      sent.push({
        method: body.method,
        headers: Object.fromEntries(new Headers(init?.headers).entries()),
        meta: body.params?._meta,
      });
      return fetch(input, init);
    };
    const client = await connectModern(server.url, "k-123", { fetch: recordingFetch });
    try {
      await client.callTool({ name: "echo", arguments: { message: "wire" } });
    } finally {
      await client.close();
    }
    expect(sent.map((s) => s.method)).toEqual(["server/discover", "tools/call"]);
    const call = sent[1];
    expect(call?.headers).toMatchObject({
      authorization: "Bearer k-123",
      "mcp-protocol-version": MODERN_PROTOCOL_VERSION,
      "mcp-method": "tools/call",
      "mcp-name": "echo",
    });
    expect(call?.meta).toMatchObject({
      "io.modelcontextprotocol/protocolVersion": MODERN_PROTOCOL_VERSION,
      "io.modelcontextprotocol/clientCapabilities": {},
      "io.modelcontextprotocol/clientInfo": { name: "portcullis-test" },
    });
  });

  it("the pin fails loudly against a 2025-only server instead of falling back", async () => {
    await expect(
      connectModernStdio(process.execPath, [`${FIXTURES}/recording-server.mjs`]),
    ).rejects.toMatchObject({ code: "ERA_NEGOTIATION_FAILED" });
  });

  it("lists tools and calls echo and add", async () => {
    const client = await connectModern(server.url);
    try {
      expect(client.getServerVersion()).toMatchObject({ name: "modern-server" });
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(["echo", "add", "ask", "slow", "record"]);

      const echo = await client.callTool({ name: "echo", arguments: { message: "hi" } });
      expect(textOf(echo)).toBe("Echo: hi");

      const add = await client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
      expect(add.structuredContent).toEqual({ sum: 5 });
      expect(textOf(add)).toBe("5");
    } finally {
      await client.close();
    }
  });

  it("fulfils the MRTR round trip of ask through its elicitation handler", async () => {
    const asked: unknown[] = [];
    const client = await connectModern(server.url, undefined, {
      onElicit: (req) => {
        asked.push(req.params);
        return { action: "accept", content: { name: "Ada" } };
      },
    });
    try {
      const r = await client.callTool({ name: "ask", arguments: { question: "Who are you?" } });
      expect(textOf(r)).toBe("You said: Ada");
      expect(asked).toEqual([expect.objectContaining({ message: "Who are you?" })]);
      const rounds = server
        .recorded()
        .filter(
          (x) =>
            (x as { tool: string }).tool === "ask" && JSON.stringify(x).includes("Who are you?"),
        );
      expect(rounds).toMatchObject([
        { round: 1, inputResponses: null, protocolVersion: MODERN_PROTOCOL_VERSION },
        {
          round: 2,
          inputResponses: { name: { action: "accept", content: { name: "Ada" } } },
          protocolVersion: MODERN_PROTOCOL_VERSION,
        },
      ]);
    } finally {
      await client.close();
    }
  });

  it("hands the InputRequiredResult to the caller when autoFulfill is off", async () => {
    const client = await connectModern(server.url, undefined, {
      onElicit: () => ({ action: "accept", content: { name: "unused" } }),
      autoFulfill: false,
    });
    try {
      await expect(
        client.callTool({ name: "ask", arguments: { question: "q" } }),
      ).rejects.toThrow();
      const r = (await client.callTool(
        { name: "ask", arguments: { question: "q" } },
        { allowInputRequired: true },
      )) as unknown as Record<string, unknown>;
      expect(r).toMatchObject({
        resultType: "input_required",
        inputRequests: { name: { method: "elicitation/create" } },
        requestState: expect.any(String),
      });
    } finally {
      await client.close();
    }
  });

  it("gets progress notifications from slow", async () => {
    const client = await connectModern(server.url);
    try {
      const updates: { progress: number; total?: number }[] = [];
      const r = await client.callTool(
        { name: "slow", arguments: { steps: 3 } },
        { onprogress: (p) => updates.push(p) },
      );
      expect(textOf(r)).toBe("done 3");
      expect(updates.map((u) => u.progress)).toEqual([1, 2, 3]);
    } finally {
      await client.close();
    }
  });

  it("reads the resource, gets the prompt, and records calls of record", async () => {
    const client = await connectModern(server.url, "some-key");
    try {
      const res = await client.readResource({ uri: "fixture://greeting" });
      expect(res.contents[0]).toMatchObject({ text: "Hello from modern-server" });
      const prompt = await client.getPrompt({ name: "greet", arguments: { name: "Bo" } });
      expect(JSON.stringify(prompt.messages)).toContain("Say hello to Bo");
      await client.callTool({ name: "record", arguments: { n: 7 } });
      expect(server.recorded()).toContainEqual(
        expect.objectContaining({
          tool: "record",
          args: { n: 7 },
          protocolVersion: MODERN_PROTOCOL_VERSION,
        }),
      );
    } finally {
      await client.close();
    }
  });
});

describe("raw 2026-07-28 POSTs", () => {
  it("server/discover names the version, the capabilities and cache hints", async () => {
    const r = await rawModernPost(server.url, { id: 1, method: "server/discover" });
    expect(r.status).toBe(200);
    expect(r.response?.result).toMatchObject({
      supportedVersions: [MODERN_PROTOCOL_VERSION],
      capabilities: { tools: {}, resources: {}, prompts: {} },
      resultType: "complete",
      ttlMs: 30000,
      cacheScope: "public",
      _meta: { "io.modelcontextprotocol/serverInfo": { name: "modern-server" } },
    });
  });

  it("tools/list carries resultType, ttlMs and cacheScope", async () => {
    const r = await rawModernPost(server.url, { id: 2, method: "tools/list" });
    expect(r.status).toBe(200);
    expect(r.response?.result).toMatchObject({
      resultType: "complete",
      ttlMs: 30000,
      cacheScope: "public",
    });
    expect(r.headers.get("mcp-session-id")).toBeNull();
  });

  it("initialize with a modern _meta is 404 / -32601", async () => {
    const r = await rawModernPost(server.url, {
      id: 3,
      method: "initialize",
      params: {
        protocolVersion: MODERN_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: "raw", version: "1" },
      },
    });
    expect(r.status).toBe(404);
    expect(r.response).toMatchObject({ id: 3, error: { code: -32601 } });
  });

  it("header and envelope errors: missing Mcp-Name, missing _meta, unknown version", async () => {
    const noName = await rawModernPost(
      server.url,
      { id: 4, method: "tools/call", params: { name: "echo", arguments: { message: "x" } } },
      { "mcp-name": null },
    );
    expect(noName.status).toBe(400);
    expect(noName.response).toMatchObject({ id: 4, error: { code: -32020 } });

    const noMeta = await rawModernPost(
      server.url,
      { id: 5, method: "tools/list", params: {} },
      {},
      { meta: false },
    );
    expect(noMeta.status).toBe(400);
    expect(noMeta.response).toMatchObject({ id: 5, error: { code: -32602 } });

    const future = await rawModernPost(server.url, {
      id: 6,
      method: "tools/list",
      params: { _meta: modernMeta({ "io.modelcontextprotocol/protocolVersion": "2099-01-01" }) },
    });
    expect(future.status).toBe(400);
    expect(future.response).toMatchObject({
      id: 6,
      error: {
        code: -32022,
        data: { supported: [MODERN_PROTOCOL_VERSION], requested: "2099-01-01" },
      },
    });
  });

  it("ask: input_required, then the retry with inputResponses and requestState completes", async () => {
    const capabilities = { elicitation: {} };
    const first = await rawModernPost(
      server.url,
      { id: 7, method: "tools/call", params: { name: "ask", arguments: { question: "Name?" } } },
      {},
      { capabilities },
    );
    expect(first.status).toBe(200);
    const ir = first.response?.result as Record<string, unknown>;
    expect(ir).toMatchObject({
      resultType: "input_required",
      inputRequests: {
        name: { method: "elicitation/create", params: { message: "Name?", mode: "form" } },
      },
    });
    expect(ir).not.toHaveProperty("ttlMs");
    const requestState = ir.requestState as string;
    expect(typeof requestState).toBe("string");

    const retry = await rawModernPost(
      server.url,
      {
        id: 8,
        method: "tools/call",
        params: {
          name: "ask",
          arguments: { question: "Name?" },
          inputResponses: { name: { action: "accept", content: { name: "Ada" } } },
          requestState,
        },
      },
      {},
      { capabilities },
    );
    expect(retry.response?.result).toMatchObject({
      resultType: "complete",
      content: [{ type: "text", text: "You said: Ada" }],
    });

    const tampered = await rawModernPost(
      server.url,
      {
        id: 9,
        method: "tools/call",
        params: {
          name: "ask",
          arguments: { question: "Name?" },
          inputResponses: { name: { action: "accept", content: { name: "Eve" } } },
          requestState: `${requestState}x`,
        },
      },
      {},
      { capabilities },
    );
    expect(tampered.response).toMatchObject({ id: 9, error: { code: -32602 } });
  });

  it("ask without the elicitation capability is refused with -32021", async () => {
    const r = await rawModernPost(server.url, {
      id: 10,
      method: "tools/call",
      params: { name: "ask", arguments: { question: "Name?" } },
    });
    expect(r.status).toBe(400);
    expect(r.response).toMatchObject({ id: 10, error: { code: -32021 } });
  });

  it("slow streams progress over SSE before the result", async () => {
    const r = await rawModernPost(server.url, {
      id: 11,
      method: "tools/call",
      params: { name: "slow", arguments: { steps: 2 }, _meta: { progressToken: "p" } },
    });
    expect(r.contentType).toContain("text/event-stream");
    expect(r.messages.map((m) => m.method ?? "response")).toEqual([
      "notifications/progress",
      "notifications/progress",
      "response",
    ]);
  });
});

describe("dual-era: the 1.x SDK client (2025-11-25) against the same server", () => {
  it("initializes, lists and calls without a session", async () => {
    const transport = new LegacyHttpTransport(new URL(server.url));
    const client = new LegacyClient({ name: "legacy-test", version: "0.0.0" });
    await client.connect(transport);
    try {
      expect(client.getServerVersion()).toMatchObject({ name: "modern-server" });
      expect(transport.sessionId).toBeUndefined();
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain("echo");
      const r = await client.callTool({ name: "echo", arguments: { message: "old" } });
      expect(textOf(r as { content?: unknown })).toBe("Echo: old");
      await client.callTool({ name: "record", arguments: { n: 42 } });
      expect(server.recorded()).toContainEqual(
        expect.objectContaining({ tool: "record", args: { n: 42 }, protocolVersion: "legacy" }),
      );
    } finally {
      await client.close();
    }
  });

  it("ask over stateless legacy HTTP: the shim cannot push elicitation, the tool answers isError", async () => {
    const transport = new LegacyHttpTransport(new URL(server.url));
    const client = new LegacyClient(
      { name: "legacy-test", version: "0.0.0" },
      { capabilities: { elicitation: {} } },
    );
    const asked: unknown[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params);
      return { action: "accept", content: { name: "Old Ada" } };
    });
    await client.connect(transport);
    try {
      const r = (await client.callTool({ name: "ask", arguments: { question: "Legacy?" } })) as {
        content?: unknown;
        isError?: boolean;
      };
      expect(r.isError).toBe(true);
      expect(textOf(r)).toContain(
        "per-request legacy serving cannot receive server-to-client requests",
      );
      expect(asked).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it("a modern-only server (legacy: reject) refuses the 1.x client", async () => {
    const strict = await startModernServer({ env: { LEGACY: "reject" } });
    try {
      const client = new LegacyClient({ name: "legacy-test", version: "0.0.0" });
      await expect(client.connect(new LegacyHttpTransport(new URL(strict.url)))).rejects.toThrow();
      const modern = await connectModern(strict.url);
      const r = await modern.callTool({ name: "echo", arguments: { message: "m" } });
      expect(textOf(r)).toBe("Echo: m");
      await modern.close();
    } finally {
      await strict.stop();
    }
  });
});

describe("stdio", () => {
  it("the pinned 2.x client speaks 2026-07-28 to the fixture over stdio, MRTR included", async () => {
    const { client } = await connectModernStdio(
      process.execPath,
      [MODERN_SERVER_ENTRY, "--stdio"],
      {},
      { onElicit: () => ({ action: "accept", content: { name: "Stdio Ada" } }) },
    );
    try {
      const r = await client.callTool({ name: "echo", arguments: { message: "pipe" } });
      expect(textOf(r)).toBe("Echo: pipe");
      const ask = await client.callTool({ name: "ask", arguments: { question: "Pipe?" } });
      expect(textOf(ask)).toBe("You said: Stdio Ada");
    } finally {
      await client.close();
    }
  });

  it("the 1.x client is served too (the connection pins the 2025 era); ask becomes a pushed elicitation", async () => {
    const transport = new LegacyStdioTransport({
      command: process.execPath,
      args: [MODERN_SERVER_ENTRY, "--stdio"],
      stderr: "pipe",
    });
    const client = new LegacyClient(
      { name: "legacy-test", version: "0.0.0" },
      { capabilities: { elicitation: {} } },
    );
    const asked: unknown[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params);
      return { action: "accept", content: { name: "Pipe Ada" } };
    });
    await client.connect(transport);
    try {
      const r = await client.callTool({ name: "echo", arguments: { message: "old pipe" } });
      expect(textOf(r as { content?: unknown })).toBe("Echo: old pipe");
      const ask = await client.callTool({ name: "ask", arguments: { question: "Old pipe?" } });
      expect(textOf(ask as { content?: unknown })).toBe("You said: Pipe Ada");
      expect(asked).toEqual([expect.objectContaining({ message: "Old pipe?" })]);
    } finally {
      await client.close();
    }
  });
});
