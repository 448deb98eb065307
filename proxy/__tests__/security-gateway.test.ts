import fs from "node:fs";
import path from "node:path";

import { ListToolsResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { AuditEvent } from "@/db/schema";
import { toAuditEventView } from "@/lib/services/audit/views";
import { bumpConfigVersion } from "@/lib/services/config-version";
import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import {
  auditRows,
  connectHttp,
  connectStdio,
  ensureCliBundle,
  must,
  serverEntry,
  tempDatabase,
} from "@/lib/testing/proxy";
import { type Gateway, gatewayHosts, startGateway } from "../serve";
import { gatewayTestOptions, INIT, insertEverything, rawPost, revokeKeyDirect } from "./helpers";

/*
 * What an agent holding a valid key can do to the gateway from outside: take every session slot,
 * send requests that break the transport's rules, or smuggle a secret into a malformed message.
 * Each refusal is audited exactly once, and what a viewer sees of a malformed message is masked.
 */

let t: ReturnType<typeof tempDatabase>;
let gw: Gateway;
let url: string;
const keys: Record<"greedy" | "other" | "third", string> = { greedy: "", other: "", third: "" };
const agentIds: Record<string, string> = {};
type Connected = Awaited<ReturnType<typeof connectHttp>>;
const open: Connected[] = [];

beforeAll(async () => {
  t = tempDatabase();
  insertEverything(t.db);
  for (const name of ["greedy", "other", "third"] as const) {
    const a = insertAgentWithKey(t.db, { name: `${name}-agent` });
    keys[name] = a.key;
    agentIds[name] = a.agent.id;
  }
  gw = await startGateway(gatewayTestOptions(t.db, { maxSessions: 4, maxSessionsPerAgent: 2 }));
  url = `${gw.url}/mcp/everything`;
});

afterAll(async () => {
  for (const c of open.splice(0)) await c.client.close().catch(() => {});
  await gw?.close();
  t?.cleanup();
});

const post = (body: string, headers: Record<string, string>, key = keys.greedy) =>
  rawPost(url, body, { authorization: `Bearer ${key}`, ...headers });

/** The rows written while `act` ran. */
async function rowsDuring(act: () => Promise<void>): Promise<AuditEvent[]> {
  const before = auditRows(t.db).length;
  await act();
  // A refusal is written before its answer is sent; give a late duplicate the chance to show.
  await new Promise((r) => setTimeout(r, 100));
  return auditRows(t.db).slice(before);
}

describe("session slots", () => {
  it("caps the sessions one agent holds, audits the refusal, and leaves room for the others", async () => {
    for (let i = 0; i < 2; i++) open.push(await connectHttp(url, keys.greedy));

    let refused: Response | undefined;
    const rows = await rowsDuring(async () => {
      refused = await post(INIT, {});
    });
    const res = must(refused);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(res.headers.get("mcp-session-id")).toBeNull();
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      "Refused: this agent holds its limit of 2 sessions; close a session or try again later",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: "message.refuse",
      decision: "deny",
      cause: "session_limit",
      actorId: agentIds.greedy,
      server: "everything",
      reason: "this agent holds its limit of 2 sessions",
    });

    // Another agent still gets in, up to the gateway's own limit.
    for (let i = 0; i < 2; i++) open.push(await connectHttp(url, keys.other));
    const full = await rowsDuring(async () => {
      refused = await post(INIT, {}, keys.third);
    });
    expect(must(refused).status).toBe(503);
    expect(full).toHaveLength(1);
    expect(full[0]).toMatchObject({
      cause: "session_limit",
      actorId: agentIds.third,
      reason: "the gateway holds its limit of 4 sessions",
    });

    // A closed session gives its slot back to its agent.
    const first = must(open.shift());
    await first.transport.terminateSession();
    await first.client.close();
    open.push(await connectHttp(url, keys.greedy));
  });
});

describe("transport-level refusals are audited once each", () => {
  const cases: [string, Record<string, string>, number, string][] = [
    ["Accept without text/event-stream", { accept: "application/json" }, 406, "transport"],
    ["Content-Type text/plain", { "content-type": "text/plain" }, 415, "transport"],
    ["an unknown MCP-Protocol-Version", { "mcp-protocol-version": "1999-01-01" }, 400, "transport"],
  ];
  for (const [what, headers, status, cause] of cases) {
    it(`${what} → ${status}`, async () => {
      let res: Response | undefined;
      const rows = await rowsDuring(async () => {
        res = await post(INIT, headers, keys.third);
      });
      expect(must(res).status).toBe(status);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ action: "message.refuse", cause, actorId: agentIds.third });
      expect(rows[0]?.reason).toBeTruthy();
    });
  }

  it("params as an array → 400, one row", async () => {
    let res: Response | undefined;
    const body = JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list", params: [1, 2] });
    const rows = await rowsDuring(async () => {
      res = await post(body, {}, keys.third);
    });
    expect(must(res).status).toBe(400);
    expect(((await must(res).json()) as { error: { message: string } }).error.message).toContain(
      "params must be an object",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ cause: "malformed", reason: "params must be an object" });
  });

  it("a GET for the event stream without Accept: text/event-stream → 406, one row", async () => {
    let res: Response | undefined;
    const rows = await rowsDuring(async () => {
      res = await fetch(url, {
        headers: { accept: "application/json", authorization: `Bearer ${keys.third}` },
      });
    });
    expect(must(res).status).toBe(406);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ cause: "transport", actorId: agentIds.third });
  });

  it("on stdio, params as an array is refused and audited once", async () => {
    await ensureCliBundle();
    const policy = path.join(t.dir, "allow.yaml");
    fs.writeFileSync(policy, `version: "1"\ndefault: allow\n`);
    const conn = await connectStdio(
      ["--policy", policy, "--", process.execPath, serverEntry("everything"), "stdio"],
      { PORTCULLIS_DB: t.file },
    );
    try {
      const before = auditRows(t.db).length;
      await expect(
        conn.client.request(
          { method: "tools/list", params: [1] as unknown as Record<string, unknown> },
          ListToolsResultSchema,
        ),
      ).rejects.toThrow(/params must be an object/);
      const rows = auditRows(t.db)
        .slice(before)
        .filter((r) => r.action === "message.refuse");
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ cause: "malformed", reason: "params must be an object" });
    } finally {
      await conn.client.close();
    }
  });
});

describe("a malformed message shown to viewers", () => {
  it("masks the raw head like arguments for viewers, and keeps it for admins", async () => {
    const card = "4111 1111 1111 1111";
    const rows = await rowsDuring(async () => {
      await post(`{"card":"${card}","jsonrpc":"2.0"`, {}, keys.third);
    });
    const row = must(rows.find((r) => r.cause === "malformed"));
    expect(row.detail).toContain(card);
    const viewer = toAuditEventView(row, "viewer");
    expect(JSON.stringify(viewer)).not.toContain("4111");
    expect((viewer.detail as { message: { head: string } }).message.head).toBe("[REDACTED]");
    const admin = toAuditEventView(row, "admin");
    expect((admin.detail as { message: { head: string } }).message.head).toContain(card);
  });
});

// A value sealed with a secrets key the gateways here do not have: it cannot be opened.
const unknownKey = `enc:v1:0123456789abcdef:${"A".repeat(16)}::${"A".repeat(22)}`;

describe("an upstream that cannot be started", () => {
  it("is refused with 502 and audited once; the row says why, the agent is not told", async () => {
    insertUpstream(t.db, {
      name: "sealed-elsewhere",
      command: process.execPath,
      args: [serverEntry("everything"), "stdio"],
      env: { API_TOKEN: unknownKey },
    });
    insertUpstream(t.db, { name: "no-such-binary", command: "/nonexistent/portcullis-upstream" });
    // A gateway of its own: the one above is at its session limits by now.
    const own = await startGateway(gatewayTestOptions(t.db));
    try {
      for (const [server, why] of [
        ["sealed-elsewhere", /stored configuration cannot be read: .*API_TOKEN.*0123456789abcdef/],
        ["no-such-binary", /the upstream could not be started: /],
      ] as const) {
        let status = 0;
        let body: { error?: { message?: string } } = {};
        const rows = await rowsDuring(async () => {
          const res = await rawPost(`${own.url}/mcp/${server}`, INIT, {
            authorization: `Bearer ${keys.third}`,
          });
          status = res.status;
          body = (await res.json()) as typeof body;
        });
        expect(status).toBe(502);
        expect(body.error?.message).toBe(`Upstream server ${server} could not be started`);
        const refusals = rows.filter((r) => r.action === "message.refuse");
        expect(refusals).toHaveLength(1);
        expect(refusals[0]).toMatchObject({
          cause: "upstream_unavailable",
          server,
          actorId: agentIds.third,
        });
        expect(refusals[0]?.reason).toMatch(why);
      }
    } finally {
      await own.close();
    }
  });
});

describe("a server whose stored configuration stops opening while portcullis run serves it", () => {
  it("refuses the next call and audits the refusal once, under the id the agent is given", async () => {
    await ensureCliBundle();
    const server = insertUpstream(t.db, {
      name: "resealed",
      command: process.execPath,
      args: [serverEntry("everything"), "stdio"],
    });
    insertPolicyVersion(t.db, server.id, `version: "1"\ndefault: allow\n`);
    const conn = await connectStdio(["--server", "resealed"], {
      PORTCULLIS_DB: t.file,
      PORTCULLIS_AGENT_KEY: keys.third,
    });
    try {
      const echo = (message: string) =>
        conn.client.callTool({ name: "echo", arguments: { message } }) as Promise<{
          content: { text: string }[];
          isError?: boolean;
          _meta?: Record<string, { decisionId?: string }>;
        }>;
      expect((await echo("before")).isError).toBeFalsy();

      // As if the server had been saved under a secrets key this process was not given.
      t.db.$client
        .prepare("UPDATE upstreams SET env = ? WHERE id = ?")
        .run(JSON.stringify({ API_TOKEN: unknownKey }), server.id);
      t.db.transaction((tx) => bumpConfigVersion(tx, new Date()), { behavior: "immediate" });

      let result: Awaited<ReturnType<typeof echo>> | undefined;
      const rows = await rowsDuring(async () => {
        result = await echo("after");
      });
      const refused = must(result);
      expect(refused.isError).toBe(true);
      expect(refused.content[0]?.text).toContain('Tool "echo" could not be authorized right now');
      // (The first call's outcome row may land meanwhile: it is written in the background.)
      const decided = rows.filter((r) => r.action !== "tool_call.outcome");
      expect(decided).toHaveLength(1);
      expect(decided[0]).toMatchObject({
        action: "message.refuse",
        decision: "deny",
        cause: "internal",
        server: "resealed",
        tool: "echo",
        actorId: agentIds.third,
      });
      expect(decided[0]?.reason).toMatch(/could not be decided: .*API_TOKEN/);
      expect(refused._meta?.["portcullis/decision"]?.decisionId).toBe(decided[0]?.id);
    } finally {
      await conn.client.close();
    }
  });
});

describe("an agent key revoked while portcullis run serves with it", () => {
  it("is refused from the next call, audited once as unauthenticated", async () => {
    await ensureCliBundle();
    const server = insertUpstream(t.db, {
      name: "revoked-run",
      command: process.execPath,
      args: [serverEntry("everything"), "stdio"],
    });
    insertPolicyVersion(t.db, server.id, `version: "1"\ndefault: allow\n`);
    const agent = insertAgentWithKey(t.db, { name: "soon-revoked" });
    const conn = await connectStdio(["--server", "revoked-run"], {
      PORTCULLIS_DB: t.file,
      PORTCULLIS_AGENT_KEY: agent.key,
    });
    try {
      const echo = () =>
        conn.client.callTool({ name: "echo", arguments: { message: "hi" } }) as Promise<{
          isError?: boolean;
          content: { text: string }[];
        }>;
      expect((await echo()).isError).toBeFalsy();
      revokeKeyDirect(t.db, agent.keyRow.id);
      let result: Awaited<ReturnType<typeof echo>> | undefined;
      const rows = await rowsDuring(async () => {
        result = await echo();
      });
      expect(must(result).isError).toBe(true);
      const decided = rows.filter((r) => r.action !== "tool_call.outcome");
      expect(decided).toHaveLength(1);
      expect(decided[0]).toMatchObject({
        action: "message.refuse",
        cause: "unauthenticated",
        actorId: agent.agent.id,
        tool: "echo",
      });
      expect(decided[0]?.reason).toMatch(/revoked/);
      await expect(conn.client.listTools()).rejects.toThrow();
    } finally {
      await conn.client.close();
    }
  });
});

describe("the names the gateway answers to", () => {
  it("include its IPv6 bind address as a Host header writes it, in brackets", () => {
    expect(gatewayHosts("fd00::1", ["gw.example"])).toEqual(
      expect.arrayContaining(["[fd00::1]", "fd00::1", "gw.example", "localhost", "[::1]"]),
    );
    expect(gatewayHosts("10.0.0.5", [])).not.toContain("[10.0.0.5]");
  });
});
