import fs from "node:fs";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { decideApproval, listApprovals } from "@/lib/services/approvals";
import { testContext } from "@/lib/testing";
import { insertAgentWithKey } from "@/lib/testing/factories";
import {
  auditRows,
  connectHttp,
  eventually,
  insertPaymentsServer,
  tempDatabase,
  must,
} from "@/lib/testing/proxy";
import { type Gateway, startGateway } from "../serve";

let t: ReturnType<typeof tempDatabase>;
let holding: Gateway;
let brief: Gateway;
let key: string;

const base = {
  host: "127.0.0.1",
  port: 0,
  allowedOrigins: [],
  upstreamTimeoutMs: 5_000,
  maxBodyBytes: 1_048_576,
  maxJsonDepth: 64,
  maxSessions: 16,
  sessionIdleMs: 60_000,
};

beforeAll(async () => {
  t = tempDatabase();
  insertPaymentsServer(t.db, path.join(t.dir, "payments.jsonl"), "        approval_timeout: 10m\n");
  key = insertAgentWithKey(t.db, { name: "payer" }).key;
  holding = await startGateway({ ...base, db: t.db, approvalWaitMs: 8_000 });
  brief = await startGateway({ ...base, db: t.db, approvalWaitMs: 200 });
});

afterAll(async () => {
  await holding?.close();
  await brief?.close();
  t?.cleanup();
});

const editor = () =>
  testContext(t.db, { type: "user", userId: "usr_editor", label: "editor@test", role: "editor" });
const received = () =>
  fs.existsSync(path.join(t.dir, "payments.jsonl"))
    ? fs
        .readFileSync(path.join(t.dir, "payments.jsonl"), "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { args: { n: number } }).args.n)
    : [];
const pendingFor = (n: number) =>
  listApprovals(editor(), { status: "pending" }).find(
    (a) => JSON.stringify(a.arguments) === JSON.stringify({ n }),
  );
/** The approval details of an `[APPROVAL PENDING]` result (in `_meta`, never `structuredContent`). */
const pending = (result: { _meta?: Record<string, unknown> }) =>
  must(result._meta?.["portcullis/approval"], "approval details") as {
    approvalId: string;
    status: string;
  };

describe("require_approval", () => {
  it("holds the call, reports progress, and forwards it once approved in time", async () => {
    const { client } = await connectHttp(`${holding.url}/mcp/payments`, key);
    expect((await client.callTool({ name: "record", arguments: { n: 5 } })).content).toEqual([
      { type: "text", text: "recorded 5" },
    ]);
    const progress: string[] = [];
    const call = client.callTool({ name: "record", arguments: { n: 500 } }, undefined, {
      onprogress: (p) => progress.push(p.message ?? ""),
      timeout: 20_000,
    });
    const approval = await eventually(() => pendingFor(500));
    expect(approval).toMatchObject({
      server: "payments",
      tool: "record",
      rule: "big numbers need a human",
      agentName: "payer",
    });
    expect(received()).toEqual([5]);
    decideApproval(editor(), { id: approval.id, decision: "approve", comment: "ok" });
    expect((await call).content).toEqual([{ type: "text", text: "recorded 500" }]);
    expect(progress.some((m) => m.includes(approval.id))).toBe(true);

    const row = must(listApprovals(editor(), {}).find((a) => a.id === approval.id));
    expect(row.status).toBe("consumed");
    const actions = auditRows(t.db)
      .filter((r) => r.action !== "tool_call.outcome")
      .map((r) => [r.action, r.decision, r.cause]);
    expect(actions.slice(-5)).toEqual([
      ["tool_call.decide", "approval_required", null],
      ["approval.request", null, null],
      ["approval.approve", null, null],
      ["tool_call.decide", "allow", "approved"],
      ["approval.consume", null, null],
    ]);
    expect(auditRows(t.db).find((r) => r.action === "approval.consume")?.correlationId).toBe(
      row.consumedByDecisionId,
    );
    await client.close();
  });

  it("refuses a held call that a reviewer denies, with the comment", async () => {
    const { client } = await connectHttp(`${holding.url}/mcp/payments`, key);
    const call = client.callTool({ name: "record", arguments: { n: 900 } }, undefined, {
      timeout: 20_000,
    });
    const approval = await eventually(() => pendingFor(900));
    decideApproval(editor(), { id: approval.id, decision: "deny", comment: "too big" });
    const result = await call;
    expect(result.isError).toBe(true);
    expect((result.content as { text: string }[])[0]?.text).toContain(
      `Approval ${approval.id} was denied: too big`,
    );
    expect(received()).not.toContain(900);
    await client.close();
  });

  it("stops holding a call the client cancelled: approving it later forwards nothing", async () => {
    const { client } = await connectHttp(`${holding.url}/mcp/payments`, key);
    const abort = new AbortController();
    const call = client.callTool({ name: "record", arguments: { n: 650 } }, undefined, {
      signal: abort.signal,
      timeout: 20_000,
    });
    const approval = await eventually(() => pendingFor(650));
    abort.abort("the agent gave up");
    await expect(call).rejects.toThrow();
    // The cancellation reaches the gateway before the reviewer acts; the hold polls every 250 ms.
    await new Promise((r) => setTimeout(r, 300));
    decideApproval(editor(), { id: approval.id, decision: "approve", comment: "late" });
    await new Promise((r) => setTimeout(r, 700));
    expect(received()).not.toContain(650);
    expect(must(listApprovals(editor(), {}).find((a) => a.id === approval.id)).status).toBe(
      "approved",
    );
    await client.close();
  });

  it("answers 'pending' after the wait, and lets exactly one identical retry through once approved", async () => {
    const { client } = await connectHttp(`${brief.url}/mcp/payments`, key);
    const first = await client.callTool({ name: "record", arguments: { n: 700 } });
    expect(first.isError).toBe(true);
    const text = must((first.content as { text: string }[])[0]).text;
    expect(text).toMatch(/^\[APPROVAL PENDING\] Tool "record" needs approval apr_\w+/);
    expect(text).toContain("retry the identical call");
    expect(first.structuredContent).toBeUndefined();
    const approvalId = pending(first).approvalId;

    const stillPending = await client.callTool({ name: "record", arguments: { n: 700 } });
    expect(pending(stillPending).approvalId).toBe(approvalId);
    expect(
      listApprovals(editor(), { status: "pending" }).filter((a) => a.id === approvalId),
    ).toHaveLength(1);

    decideApproval(editor(), { id: approvalId, decision: "approve" });
    const different = await client.callTool({ name: "record", arguments: { n: 701 } });
    expect(different.isError).toBe(true);
    const retry = await client.callTool({ name: "record", arguments: { n: 700 } });
    expect(retry.content).toEqual([{ type: "text", text: "recorded 700" }]);
    const again = await client.callTool({ name: "record", arguments: { n: 700 } });
    expect(pending(again).status).toBe("pending");
    expect(pending(again).approvalId).not.toBe(approvalId);
    expect(received().filter((n) => n === 700)).toHaveLength(1);
    await client.close();
  });
});
