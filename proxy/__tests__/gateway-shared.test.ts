import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  CallToolResultSchema,
  CancelTaskResultSchema,
  CreateMessageRequestSchema,
  CreateMessageResultSchema,
  CreateTaskResultSchema,
  GetTaskResultSchema,
  ListTasksResultSchema,
  ElicitRequestSchema,
  ElicitResultSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";

import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import { auditRows, connectHttp, eventually, serverEntry, tempDatabase } from "@/lib/testing/proxy";
import { type Gateway, startGateway } from "../serve";
import { gatewayTestOptions } from "./helpers";
import { transportLink } from "../upstream/links";

/** What the in-memory upstream saw, across every process it was started as. */
const seen = { starts: 0, cancelled: [] as string[], calls: [] as string[] };

/** A server whose tools call back into the client mid-call, report progress and notice cancellation. */
function upstreamServer(): McpServer {
  const server = new McpServer({ name: "callbacks", version: "1.0.0" });
  server.registerTool(
    "ask",
    { description: "Asks the client's model", inputSchema: { who: z.string() } },
    async ({ who }, extra) => {
      seen.calls.push(`ask:${who}`);
      const r = await extra.sendRequest(
        {
          method: "sampling/createMessage",
          params: {
            messages: [{ role: "user", content: { type: "text", text: who } }],
            maxTokens: 5,
          },
        },
        CreateMessageResultSchema,
      );
      return {
        content: [{ type: "text", text: `model said ${(r.content as { text: string }).text}` }],
      };
    },
  );
  server.registerTool(
    "elicit",
    { description: "Asks the user", inputSchema: { who: z.string() } },
    async ({ who }, extra) => {
      const r = await extra.sendRequest(
        {
          method: "elicitation/create",
          params: {
            message: `name for ${who}?`,
            requestedSchema: { type: "object", properties: { name: { type: "string" } } },
          },
        },
        ElicitResultSchema,
      );
      return { content: [{ type: "text", text: `user said ${String(r.content?.name)}` }] };
    },
  );
  server.registerTool(
    "slow",
    { description: "Reports progress", inputSchema: { who: z.string(), steps: z.number() } },
    async ({ who, steps }, extra) => {
      const token = extra._meta?.progressToken;
      for (let i = 1; i <= steps; i++) {
        if (extra.signal.aborted) {
          seen.cancelled.push(who);
          return { content: [{ type: "text", text: "cancelled" }] };
        }
        if (token !== undefined)
          await extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken: token, progress: i, total: steps, message: who },
          });
        await new Promise((r) => setTimeout(r, 30));
      }
      if (extra.signal.aborted) seen.cancelled.push(who);
      return { content: [{ type: "text", text: `done ${who}` }] };
    },
  );
  return server;
}

let t: ReturnType<typeof tempDatabase>;
let gw: Gateway;
let url: string;
const keys: string[] = [];
const open: Client[] = [];

beforeAll(async () => {
  t = tempDatabase();
  const up = insertUpstream(t.db, { name: "callbacks", command: "unused", args: [] });
  insertPolicyVersion(t.db, up.id, `version: "1"\ndefault: allow\n`);
  for (const name of ["alice", "bob"]) keys.push(insertAgentWithKey(t.db, { name }).key);
  gw = await startGateway(
    gatewayTestOptions(t.db, {
      linkFor: () => {
        seen.starts += 1;
        const [client, server] = InMemoryTransport.createLinkedPair();
        void upstreamServer().connect(server);
        return transportLink(client);
      },
    }),
  );
  url = `${gw.url}/mcp/callbacks`;
});

afterEach(async () => {
  for (const c of open.splice(0)) await c.close().catch(() => {});
});

afterAll(async () => {
  await gw?.close();
  t?.cleanup();
});

async function connect(who: number, capabilities: Record<string, unknown> = {}): Promise<Client> {
  const { client } = await connectHttp(url, keys[who] ?? "", { capabilities });
  open.push(client);
  return client;
}

const text = (r: unknown) => (r as { content: { text: string }[] }).content[0]?.text;

describe("one upstream shared by concurrent sessions", () => {
  it("serves two agents' sessions over one upstream connection", async () => {
    const starts = seen.starts;
    const a = await connect(0);
    const b = await connect(1);
    const [ra, rb] = await Promise.all([
      a.callTool({ name: "slow", arguments: { who: "a", steps: 1 } }),
      b.callTool({ name: "slow", arguments: { who: "b", steps: 1 } }),
    ]);
    expect([text(ra), text(rb)]).toEqual(["done a", "done b"]);
    expect(seen.starts - starts).toBeLessThanOrEqual(1);
    const health = (await (await fetch(`${gw.url}/healthz`)).json()) as {
      sessions: number;
      upstreams: number;
    };
    expect(health).toMatchObject({ sessions: 2, upstreams: 1 });
    const decisions = auditRows(t.db).filter(
      (r) => r.action === "tool_call.decide" && r.tool === "slow",
    );
    expect(new Set(decisions.map((r) => r.actorLabel))).toEqual(new Set(["alice", "bob"]));
  });

  it("sends each sampling request to the session whose call caused it", async () => {
    const clients = await Promise.all(
      [0, 1].map(async (who) => {
        const c = await connect(who, { sampling: {} });
        c.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
          model: "m",
          role: "assistant",
          content: {
            type: "text",
            text: `${who === 0 ? "A" : "B"}(${(req.params.messages[0]?.content as { text: string }).text})`,
          },
        }));
        return c;
      }),
    );
    const results = await Promise.all(
      ["x", "y", "z"].flatMap((n) =>
        clients.map((c, i) => c.callTool({ name: "ask", arguments: { who: `${i}${n}` } })),
      ),
    );
    expect(results.map(text)).toEqual([
      "model said A(0x)",
      "model said B(1x)",
      "model said A(0y)",
      "model said B(1y)",
      "model said A(0z)",
      "model said B(1z)",
    ]);
  });

  it("sends each elicitation to the session whose call caused it", async () => {
    const clients = await Promise.all(
      ["ann", "ben"].map(async (name, who) => {
        const c = await connect(who, { elicitation: {} });
        c.setRequestHandler(ElicitRequestSchema, async (req) => ({
          action: "accept",
          content: { name: `${name} for ${req.params.message}` },
        }));
        return c;
      }),
    );
    const [ra, rb] = await Promise.all(
      clients.map((c, i) => c.callTool({ name: "elicit", arguments: { who: `s${i}` } })),
    );
    expect(text(ra)).toBe("user said ann for name for s0?");
    expect(text(rb)).toBe("user said ben for name for s1?");
  });

  it("routes progress by each session's own token, although both clients use the same ids", async () => {
    const a = await connect(0);
    const b = await connect(1);
    const progress: Record<string, string[]> = { a: [], b: [] };
    const [ra, rb] = await Promise.all(
      (["a", "b"] as const).map((who, i) =>
        (i === 0 ? a : b).callTool({ name: "slow", arguments: { who, steps: 3 } }, undefined, {
          onprogress: (p) => progress[who]?.push(`${p.message}:${p.progress}`),
        }),
      ),
    );
    expect([text(ra), text(rb)]).toEqual(["done a", "done b"]);
    expect(progress.a?.slice(0, 2)).toEqual(["a:1", "a:2"]);
    expect(progress.b?.slice(0, 2)).toEqual(["b:1", "b:2"]);
  });

  it("forwards one session's cancellation upstream without touching the other's call", async () => {
    const a = await connect(0);
    const b = await connect(1);
    const abort = new AbortController();
    const cancelled = a.callTool(
      { name: "slow", arguments: { who: "cancel-me", steps: 20 } },
      undefined,
      {
        signal: abort.signal,
        onprogress: () => abort.abort(),
      },
    );
    const kept = b.callTool({ name: "slow", arguments: { who: "keep-me", steps: 5 } });
    await expect(cancelled).rejects.toThrow();
    expect(text(await kept)).toBe("done keep-me");
    await eventually(() => seen.cancelled.includes("cancel-me"));
    expect(seen.cancelled).not.toContain("keep-me");
  });
});

describe("tasks on a shared upstream", () => {
  let gwTasks: Gateway;
  let tasksUrl: string;
  const taskKeys: string[] = [];

  beforeAll(async () => {
    const up = insertUpstream(t.db, {
      name: "tasks",
      command: process.execPath,
      args: [serverEntry("everything"), "stdio"],
    });
    insertPolicyVersion(t.db, up.id, `version: "1"\ndefault: allow\n`);
    for (const name of ["owner", "snoop"]) taskKeys.push(insertAgentWithKey(t.db, { name }).key);
    gwTasks = await startGateway(gatewayTestOptions(t.db));
    tasksUrl = `${gwTasks.url}/mcp/tasks`;
  });
  afterAll(async () => {
    await gwTasks?.close();
  });

  it("shows a task only to the agent whose decided call created it", async () => {
    const owner = (await connectHttp(tasksUrl, taskKeys[0] ?? "")).client;
    const snoop = (await connectHttp(tasksUrl, taskKeys[1] ?? "")).client;
    open.push(owner, snoop);
    const created = await owner.request(
      {
        method: "tools/call",
        params: {
          name: "simulate-research-query",
          arguments: { topic: "tides" },
          task: { ttl: 60_000 },
        },
      },
      CreateTaskResultSchema,
    );
    const taskId = created.task.taskId;
    const decisions = auditRows(t.db).filter(
      (r) => r.action === "tool_call.decide" && r.tool === "simulate-research-query",
    );
    expect(decisions.map((r) => r.actorLabel)).toEqual(["owner"]);

    expect(
      (await owner.request({ method: "tasks/get", params: { taskId } }, GetTaskResultSchema))
        .taskId,
    ).toBe(taskId);
    await expect(
      snoop.request({ method: "tasks/get", params: { taskId } }, GetTaskResultSchema),
    ).rejects.toThrow(/Unknown task/);
    await expect(
      snoop.request({ method: "tasks/result", params: { taskId } }, CallToolResultSchema),
    ).rejects.toThrow(/Unknown task/);
    await expect(
      snoop.request({ method: "tasks/cancel", params: { taskId } }, CancelTaskResultSchema),
    ).rejects.toThrow(/Unknown task/);
    const seenBySnoop = await snoop.request(
      { method: "tasks/list", params: {} },
      ListTasksResultSchema,
    );
    expect(seenBySnoop.tasks.map((x) => x.taskId)).not.toContain(taskId);
    const seenByOwner = await owner.request(
      { method: "tasks/list", params: {} },
      ListTasksResultSchema,
    );
    expect(seenByOwner.tasks.map((x) => x.taskId)).toContain(taskId);
    expect(
      auditRows(t.db).filter((r) => r.action === "message.refuse" && r.actorLabel === "snoop"),
    ).toHaveLength(3);
  });
});
