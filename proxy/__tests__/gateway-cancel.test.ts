import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import { auditRows, must, serverEntry, tempDatabase } from "@/lib/testing/proxy";
import { type Gateway, startGateway } from "../serve";
import { gatewayTestOptions, INIT_REQUEST, rawPost } from "./helpers";

/*
 * Calls that end without the upstream's answer on a shared upstream: ended with their session,
 * cancelled by their client, or timed out in the gateway. A call the upstream had keeps its
 * rate-limit slot (it may have acted), every waiting POST gets an answer, and nothing of it
 * stays in flight to hold back the sessions of other agents.
 */

const ONCE_AN_HOUR = `version: "1"
default: allow
tools:
  trigger-long-running-operation:
    rules:
      - name: once an hour
        rate_limit: 1/hour
  get-sum:
    rules:
      - name: sums need a human
        action: require_approval
`;

let t: ReturnType<typeof tempDatabase>;
let gw: Gateway;
let url: string;
let slowUrl: string;
const keys: Record<"a" | "b" | "x" | "y", string> = { a: "", b: "", x: "", y: "" };

beforeAll(async () => {
  t = tempDatabase();
  const limited = insertUpstream(t.db, {
    name: "limited",
    command: process.execPath,
    args: [serverEntry("everything"), "stdio"],
  });
  insertPolicyVersion(t.db, limited.id, ONCE_AN_HOUR);
  const slow = insertUpstream(t.db, {
    name: "slow",
    command: process.execPath,
    args: [serverEntry("everything"), "stdio"],
    timeoutMs: 1_000,
  });
  insertPolicyVersion(t.db, slow.id, `version: "1"\ndefault: allow\n`);
  for (const name of ["a", "b", "x", "y"] as const)
    keys[name] = insertAgentWithKey(t.db, { name: `cancel-${name}` }).key;
  gw = await startGateway(gatewayTestOptions(t.db, { maxSessions: 16, approvalWaitMs: 20_000 }));
  url = `${gw.url}/mcp/limited`;
  slowUrl = `${gw.url}/mcp/slow`;
});

afterAll(async () => {
  await gw?.close();
  t?.cleanup();
});

type Session = { url: string; headers: Record<string, string> };

async function open(to: string, key: string, capabilities: Record<string, unknown> = {}) {
  const body = JSON.stringify({
    ...INIT_REQUEST,
    params: { ...INIT_REQUEST.params, capabilities },
  });
  const res = await rawPost(to, body, { authorization: `Bearer ${key}` });
  expect(res.status).toBe(200);
  await res.text();
  const headers = {
    authorization: `Bearer ${key}`,
    "mcp-session-id": must(res.headers.get("mcp-session-id"), "session id"),
    "mcp-protocol-version": "2025-06-18",
  };
  const initialized = JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" });
  expect((await rawPost(to, initialized, headers)).status).toBe(202);
  return { url: to, headers } satisfies Session;
}

const call = (s: Session, id: number, name: string, args: Record<string, unknown>) =>
  rawPost(
    s.url,
    JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } }),
    s.headers,
  );

const long = (s: Session, id: number, seconds: number) =>
  call(s, id, "trigger-long-running-operation", { duration: seconds, steps: 1 });

/** The outcome row of the newest decision on `tool` by the agent whose rows `since` follow. */
function outcomeOf(since: number, tool: string) {
  const rows = auditRows(t.db).slice(since);
  const decided = rows.filter((r) => r.action === "tool_call.decide" && r.tool === tool).at(-1);
  return rows.find((r) => r.action === "tool_call.outcome" && r.correlationId === decided?.id);
}

/** Waits until the upstream has had the call: its decision row is committed before forwarding. */
async function forwarded(since: number, tool: string) {
  await vi.waitFor(
    () =>
      expect(
        auditRows(t.db)
          .slice(since)
          .some((r) => r.action === "tool_call.decide" && r.tool === tool),
      ).toBe(true),
    { timeout: 5_000, interval: 20 },
  );
  await new Promise((r) => setTimeout(r, 200));
}

describe("a call the upstream already had", () => {
  it("keeps its slot when its session is ended, and its POST is answered", async () => {
    const since = auditRows(t.db).length;
    const a = await open(url, keys.a);
    const pending = long(a, 2, 2);
    await forwarded(since, "trigger-long-running-operation");
    const ended = await fetch(url, { method: "DELETE", headers: a.headers });
    expect(ended.status).toBe(200);

    const answer = await pending;
    expect(await answer.json()).toMatchObject({
      id: 2,
      error: { message: "The session was closed before this request was answered" },
    });
    await vi.waitFor(
      () => expect(outcomeOf(since, "trigger-long-running-operation")?.outcome).toBe("cancelled"),
      { timeout: 5_000, interval: 50 },
    );

    // A new session of the same agent does not get the slot back.
    const again = await open(url, keys.a);
    const refused = (await (await long(again, 3, 1)).json()) as {
      result: { isError: boolean; content: { text: string }[] };
    };
    expect(refused.result.isError).toBe(true);
    expect(refused.result.content[0]?.text).toMatch(/rate limit|once an hour/i);
  });

  it("keeps its slot when its client cancels it, and the waiting POST is released", async () => {
    const since = auditRows(t.db).length;
    const b = await open(url, keys.b);
    const pending = long(b, 2, 2);
    await forwarded(since, "trigger-long-running-operation");
    const cancel = JSON.stringify({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: 2, reason: "changed my mind" },
    });
    expect((await rawPost(url, cancel, b.headers)).status).toBe(202);
    expect(await (await pending).json()).toMatchObject({
      id: 2,
      error: { message: "Request cancelled" },
    });
    await vi.waitFor(
      () => {
        const row = outcomeOf(since, "trigger-long-running-operation");
        expect(row?.outcome).toBe("cancelled");
        expect(JSON.parse(row?.detail ?? "{}")).toEqual({ error: "changed my mind" });
      },
      { timeout: 5_000, interval: 50 },
    );
    const refused = (await (await long(b, 3, 1)).json()) as { result: { isError: boolean } };
    expect(refused.result.isError).toBe(true);
  });
});

describe("a call cancelled while it waits for an approval", () => {
  it("is never forwarded, and its POST is released so the id can be used again", async () => {
    const since = auditRows(t.db).length;
    const s = await open(url, keys.x);
    const held = call(s, 4, "get-sum", { a: 1, b: 2 });
    await vi.waitFor(
      () =>
        expect(
          auditRows(t.db)
            .slice(since)
            .some((r) => r.tool === "get-sum" && r.decision === "approval_required"),
        ).toBe(true),
      { timeout: 5_000, interval: 20 },
    );
    const cancel = JSON.stringify({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: 4 },
    });
    expect((await rawPost(url, cancel, s.headers)).status).toBe(202);
    expect(await (await held).json()).toMatchObject({
      id: 4,
      error: { message: "Request cancelled" },
    });
    const reused = await call(s, 4, "echo", { message: "same id, new call" });
    expect(await reused.text()).toContain("Echo: same id, new call");
    expect(
      auditRows(t.db)
        .slice(since)
        .filter((r) => r.tool === "get-sum" && r.decision === "allow"),
    ).toHaveLength(0);
  });
});

describe("a call that timed out in the gateway", () => {
  it("no longer counts as in flight, so another agent's interactive session is served", async () => {
    const x = await open(slowUrl, keys.x);
    // Y can be asked for input (elicitation), so its calls wait for no other session's call.
    const y = await open(slowUrl, keys.y, { elicitation: {} });
    const before = await call(y, 2, "echo", { message: "before" });
    expect(await before.text()).toContain("Echo: before");

    const timedOut = await long(x, 2, 3);
    expect(await timedOut.json()).toMatchObject({
      error: { message: "Upstream server slow did not answer within 1000 ms" },
    });
    const after = await call(y, 3, "echo", { message: "after" });
    expect(await after.text()).toContain("Echo: after");
  });
});

describe("a request id already in use in its session", () => {
  it("is refused on its own POST and audited once; the first request still gets its answer", async () => {
    const a = await open(slowUrl, keys.a);
    const first = long(a, 7, 0.5);
    await new Promise((r) => setTimeout(r, 150));
    const since = auditRows(t.db).length;
    const again = await call(a, 7, "echo", { message: "same id" });
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({
      id: 7,
      error: { message: "Invalid request: id already in use" },
    });
    const refusals = auditRows(t.db)
      .slice(since)
      .filter((r) => r.action === "message.refuse");
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ cause: "malformed", reason: "request id already in use" });
    expect(await (await first).text()).toContain("Long running operation completed");
  });
});
