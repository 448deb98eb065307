import fs from "node:fs";

import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  StreamableHTTPError,
  type StreamableHTTPClientTransport,
} from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import { connectHttp, must, serverEntry, tempDatabase } from "@/lib/testing/proxy";
import { type Gateway, type GatewayOptions, startGateway } from "../serve";
import { gatewayTestOptions, INIT, rawPost as post } from "./helpers";

const EVERYTHING = serverEntry("everything");

type Connected = { client: Client; transport: StreamableHTTPClientTransport };

let t: ReturnType<typeof tempDatabase>;
let key: string;
const open: Connected[] = [];

beforeAll(() => {
  t = tempDatabase();
  const everything = insertUpstream(t.db, {
    name: "everything",
    command: process.execPath,
    args: [EVERYTHING, "stdio"],
    isolation: "session",
  });
  insertPolicyVersion(t.db, everything.id, `version: "1"\ndefault: allow\n`);
  const shared = insertUpstream(t.db, {
    name: "shared",
    command: process.execPath,
    args: [EVERYTHING, "stdio"],
  });
  insertPolicyVersion(t.db, shared.id, `version: "1"\ndefault: allow\n`);
  key = insertAgentWithKey(t.db, { name: "sessions-agent" }).key;
});

afterEach(async () => {
  for (const c of open.splice(0)) await c.client.close().catch(() => {});
});

afterAll(() => {
  t?.cleanup();
});

function options(over: Partial<GatewayOptions>): GatewayOptions {
  return gatewayTestOptions(t.db, { maxBodyBytes: 64 * 1024, maxJsonDepth: 32, ...over });
}

/** Live server-everything processes started by this process (the gateway runs in-process). */
function upstreamPids(): Set<number> {
  const pids = new Set<number>();
  for (const task of fs.readdirSync(`/proc/${process.pid}/task`)) {
    let list = "";
    try {
      list = fs.readFileSync(`/proc/${process.pid}/task/${task}/children`, "utf8");
    } catch {
      continue;
    }
    for (const p of list.split(/\s+/).filter(Boolean).map(Number)) {
      if (!alive(p)) continue;
      try {
        const argv = fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
        if (argv.includes(EVERYTHING)) pids.add(p);
      } catch {
        // exited while listing
      }
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Connects a client and returns the pid of the one upstream process its session started. */
async function connectCounting(url: string): Promise<Connected & { pid: number }> {
  const before = upstreamPids();
  const c = await connectHttp(url, key);
  open.push(c);
  const started = [...upstreamPids()].filter((p) => !before.has(p));
  expect(started).toHaveLength(1);
  return { ...c, pid: must(started[0], "upstream pid") };
}

async function echo(c: Connected, message: string): Promise<void> {
  const r = await c.client.callTool({ name: "echo", arguments: { message } });
  expect(r.content).toEqual([{ type: "text", text: `Echo: ${message}` }]);
}

async function liveSessions(gw: Gateway): Promise<number> {
  const res = await fetch(`${gw.url}/healthz`);
  return ((await res.json()) as { sessions: number }).sessions;
}

const rawPost = (url: string, body: string, headers: Record<string, string> = {}) =>
  post(url, body, { authorization: `Bearer ${key}`, ...headers });

describe("isolation: session — session limit (maxSessions = 2)", () => {
  let gw: Gateway;
  let url: string;

  beforeAll(async () => {
    gw = await startGateway(options({ maxSessions: 2 }));
    url = `${gw.url}/mcp/everything`;
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("refuses a third initialize before any upstream starts, and admits one after a DELETE", async () => {
    const a = await connectCounting(url);
    const b = await connectCounting(url);
    expect(a.pid).not.toBe(b.pid);
    await echo(a, "first");
    await echo(b, "second");
    expect(await liveSessions(gw)).toBe(2);
    const before = upstreamPids();

    const refused = connectHttp(url, key);
    await expect(refused).rejects.toBeInstanceOf(StreamableHTTPError);
    await expect(refused).rejects.toMatchObject({
      code: 503,
      message: expect.stringContaining("the gateway holds its limit of 2 sessions"),
    });

    const raw = await rawPost(url, INIT);
    expect(raw.status).toBe(503);
    expect(raw.headers.get("retry-after")).toBe("5");
    expect(raw.headers.get("mcp-session-id")).toBeNull();
    expect(await raw.json()).toEqual({
      jsonrpc: "2.0",
      id: 1,
      error: {
        code: -32000,
        message:
          "Refused: the gateway holds its limit of 2 sessions; close a session or try again later",
      },
    });

    expect(upstreamPids()).toEqual(before);
    expect(await liveSessions(gw)).toBe(2);
    await echo(a, "still served");

    const sessionA = must(a.transport.sessionId, "session id");
    await a.transport.terminateSession();
    await a.client.close();
    await vi.waitFor(() => expect(alive(a.pid)).toBe(false), { timeout: 10_000, interval: 50 });
    expect(await liveSessions(gw)).toBe(1);
    const gone = await rawPost(
      url,
      JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} }),
      { "mcp-session-id": sessionA },
    );
    expect(gone.status).toBe(404);

    const c = await connectCounting(url);
    await echo(c, "third client");
    await echo(b, "second again");
    expect(alive(b.pid)).toBe(true);
    expect(await liveSessions(gw)).toBe(2);
  });
});

describe("isolation: session — idle session reaping (sessionIdleMs = 1500)", () => {
  const IDLE_MS = 1_500;
  let gw: Gateway;
  let url: string;

  beforeAll(async () => {
    gw = await startGateway(options({ sessionIdleMs: IDLE_MS }));
    url = `${gw.url}/mcp/everything`;
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("closes an idle session and its upstream process while an active session keeps working", async () => {
    // The active client connects first, so when the idle one is reaped the active one is older
    // than the idle limit too and has been through the same sweep.
    const active = await connectCounting(url);
    const idle = await connectCounting(url);
    await echo(idle, "then silence");
    const idleSession = must(idle.transport.sessionId, "session id");
    const activeSession = must(active.transport.sessionId, "session id");
    expect(await liveSessions(gw)).toBe(2);

    let calls = 0;
    await vi.waitFor(
      async () => {
        await echo(active, `tick ${++calls}`);
        expect(alive(idle.pid)).toBe(false);
      },
      { timeout: 20_000, interval: 250 },
    );

    expect(alive(active.pid)).toBe(true);
    expect(active.transport.sessionId).toBe(activeSession);
    await echo(active, "after the sweep");
    expect(await liveSessions(gw)).toBe(1);
    expect(upstreamPids()).toEqual(new Set([active.pid]));

    const stale = await rawPost(
      url,
      JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list", params: {} }),
      { "mcp-session-id": idleSession },
    );
    expect(stale.status).toBe(404);
    expect(await stale.json()).toEqual({
      jsonrpc: "2.0",
      id: 7,
      error: { code: -32001, message: "Session not found" },
    });

    const viaSdk = idle.client.callTool({ name: "echo", arguments: { message: "late" } });
    await expect(viaSdk).rejects.toBeInstanceOf(StreamableHTTPError);
    await expect(viaSdk).rejects.toMatchObject({
      code: 404,
      message: expect.stringContaining("Session not found"),
    });
  });
});

describe("a shared upstream", () => {
  let gw: Gateway;
  let url: string;

  beforeAll(async () => {
    gw = await startGateway(options({ upstreamIdleMs: 1_000 }));
    url = `${gw.url}/mcp/shared`;
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("starts no upstream for an initialize refused on its headers", async () => {
    const before = upstreamPids();
    for (const headers of <Record<string, string>[]>[
      { accept: "application/json" },
      { "content-type": "text/plain" },
      { "mcp-protocol-version": "1999-01-01" },
    ]) {
      const res = await rawPost(url, INIT, headers);
      expect([406, 415, 400]).toContain(res.status);
      expect(res.headers.get("mcp-session-id")).toBeNull();
    }
    expect(upstreamPids()).toEqual(before);
    expect(await liveSessions(gw)).toBe(0);
  });

  it("serves many sessions from one process, stops it when idle and starts it again on demand", async () => {
    const before = upstreamPids();
    const clients = [];
    for (let i = 0; i < 4; i++) {
      const c = await connectHttp(url, key);
      open.push(c);
      clients.push(c);
    }
    await Promise.all(clients.map((c, i) => echo(c, `client ${i}`)));
    const started = [...upstreamPids()].filter((p) => !before.has(p));
    expect(started).toHaveLength(1);
    const pid = must(started[0], "upstream pid");

    await vi.waitFor(() => expect(alive(pid)).toBe(false), { timeout: 10_000, interval: 100 });
    await echo(must(clients[0]), "after the idle stop");
    const again = [...upstreamPids()].filter((p) => !before.has(p));
    expect(again).toHaveLength(1);
    expect(again[0]).not.toBe(pid);
  });
});

describe("sessions left without a DELETE (2 per agent, reclaimed after 300 ms with nothing open)", () => {
  const RECLAIM_MS = 300;
  let gw: Gateway;
  let url: string;
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const TOOLS_LIST = JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list", params: {} });

  beforeAll(async () => {
    gw = await startGateway(
      options({ maxSessions: 8, maxSessionsPerAgent: 2, sessionReclaimMs: RECLAIM_MS }),
    );
    url = `${gw.url}/mcp/shared`;
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("ends the agent's oldest dormant one to admit its next, never one with a stream or a call open", async () => {
    const a = await connectHttp(url, key);
    const b = await connectHttp(url, key);
    const left = must(a.transport.sessionId, "session id");
    // The SDK's close() aborts the GET stream but sends no DELETE: both sessions stay open.
    await a.client.close();
    await b.client.close();
    expect(await liveSessions(gw)).toBe(2);

    // Just left is not yet abandoned: the limit holds.
    const early = await rawPost(url, INIT);
    expect(early.status).toBe(503);
    await early.text();

    await pause(RECLAIM_MS + 100);
    const c = await connectHttp(url, key);
    open.push(c);
    expect(await liveSessions(gw)).toBe(2);
    const gone = await rawPost(url, TOOLS_LIST, { "mcp-session-id": left });
    expect(gone.status).toBe(404);
    await gone.text();
    await echo(c, "admitted");

    // b is the dormant one now, so a raw client's initialize takes its place; that client then
    // keeps a call in flight while c keeps its GET stream.
    await pause(RECLAIM_MS + 100);
    const init = await rawPost(url, INIT);
    expect(init.status).toBe(200);
    await init.text();
    const d = must(init.headers.get("mcp-session-id"), "session id");
    const session = { "mcp-session-id": d, "mcp-protocol-version": "2025-06-18" };
    const initialized = JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" });
    expect((await rawPost(url, initialized, session)).status).toBe(202);
    const call = rawPost(
      url,
      JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "trigger-long-running-operation", arguments: { duration: 2, steps: 1 } },
      }),
      session,
    );

    await pause(RECLAIM_MS + 100);
    const refused = await rawPost(url, INIT);
    expect(refused.status).toBe(503);
    expect(await refused.text()).toContain("this agent holds its limit of 2 sessions");
    const answered = await call;
    expect(answered.status).toBe(200);
    expect(await answered.text()).toContain("Long running operation completed");
    await echo(c, "still served");
    expect(await liveSessions(gw)).toBe(2);
  });

  it("counts a session idle from its last answer, not from its last request", async () => {
    await gw.close();
    gw = await startGateway(
      options({ maxSessions: 8, maxSessionsPerAgent: 2, sessionReclaimMs: RECLAIM_MS }),
    );
    url = `${gw.url}/mcp/shared`;
    const raw = async () => {
      const init = await rawPost(url, INIT);
      expect(init.status).toBe(200);
      await init.text();
      const id = must(init.headers.get("mcp-session-id"), "session id");
      const headers = { "mcp-session-id": id, "mcp-protocol-version": "2025-06-18" };
      const initialized = JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" });
      expect((await rawPost(url, initialized, headers)).status).toBe(202);
      return headers;
    };
    const a = await raw();
    const b = await raw();
    // b's call runs for a second; a's last request comes in the middle of it.
    const long = rawPost(
      url,
      JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "trigger-long-running-operation", arguments: { duration: 1, steps: 1 } },
      }),
      b,
    );
    await pause(400);
    await (await rawPost(url, TOOLS_LIST, a)).text();
    expect(await (await long).text()).toContain("Long running operation completed");

    // b asked first but was answered last: a is the one idle longer, and the one ended.
    await raw();
    expect((await rawPost(url, TOOLS_LIST, a)).status).toBe(404);
    expect((await rawPost(url, TOOLS_LIST, b)).status).toBe(200);
  });
});
