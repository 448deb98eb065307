import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { AppError } from "@/lib/core/errors";
import { loadPolicy, refusalResult } from "@/lib/core/policy";
import { createTestDb, testContext } from "@/lib/testing";
import { createAgent } from "../../agents";
import { decideToolCall } from "../../enforcement";
import { loadAgentGrants } from "../../gateway/loaders";
import { createGrant } from "../../grants";
import { recordToolListing } from "../../inventory";
import { savePolicy } from "../../policies";
import { createUpstream } from "../../upstreams";
import { checkGrantForCall, dryRunCall, replayCalls, startReplay } from "..";

const POLICY = `version: "1"
default: deny
hide: [get-env]
tools:
  echo:
    rules:
      - name: echo cap
        rate_limit: 2/minute
  add:
    rules:
      - name: small sums
        conditions: [{ path: args.a, op: lt, value: 100 }]
  login:
    rules:
      - name: known user
        conditions: [{ path: args.user, op: eq, value: "ann" }]
      - name: short token
        conditions: [{ path: args.token, op: regex, value: "^t" }]
`;

const TOOLS = [
  {
    name: "echo",
    description: "Echoes a message",
    inputSchema: {
      type: "object",
      properties: { message: { type: "string" } },
      required: ["message"],
    },
  },
  {
    name: "add",
    description: "Adds two numbers",
    inputSchema: {
      type: "object",
      properties: { a: { type: "number" }, b: { type: "number" } },
      required: ["a", "b"],
    },
  },
  { name: "login", description: "Logs in", inputSchema: { type: "object" } },
  { name: "get-env", description: "Environment", inputSchema: { type: "object" } },
  { name: "trace", description: "Traces", inputSchema: { type: "object" } },
];

const viewer = { type: "user", userId: "u_v", label: "v@x", role: "viewer" } as const;
const editor = { type: "user", userId: "u_e", label: "e@x", role: "editor" } as const;

let dir: string;
let db: Db;
let upstreamId: string;
let agentId: string;

function snapshotOf(yaml: string) {
  const r = loadPolicy(yaml);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.snapshot;
}

/** A real gateway decision, written to the audit log with the server's audit setting. */
function gatewayCall(tool: string, args: Record<string, unknown>, yaml = POLICY, now = Date.now()) {
  return decideToolCall(db, {
    snapshot: snapshotOf(yaml),
    policyVersion: "pv_test",
    server: "everything",
    upstreamId,
    tool,
    arguments: args,
    identity: { agentId, keyId: null, label: "bot" },
    grants: loadAgentGrants(db, agentId, upstreamId),
    toolDefinition: { inputSchema: TOOLS.find((t) => t.name === tool)?.inputSchema },
    source: "gateway",
    requestId: "1",
    now,
  });
}

const count = (table: string) =>
  (db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-sim-"));
  db = createTestDb(path.join(dir, "test.db"));
  const ctx = testContext(db);
  agentId = createAgent(ctx, { name: "bot" }).id;
  upstreamId = createUpstream(ctx, { name: "everything", transport: "stdio", command: "node" }).id;
  savePolicy(ctx, { upstreamId, yaml: POLICY, activate: true });
  recordToolListing(db, {
    upstreamId,
    server: "everything",
    tools: TOOLS,
    now: Date.now(),
    source: "gateway",
  });
});

afterEach(() => {
  db.$client.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("dry run", () => {
  it("decides like the gateway, says what the agent would receive, and writes nothing", () => {
    const before = ["audit_events", "counter_events", "counter_heads"].map(count);
    const run = dryRunCall(testContext(db, viewer), {
      upstreamId,
      agentId,
      tool: "add",
      arguments: '{"a": 500, "b": 1}',
    });
    expect(["audit_events", "counter_events", "counter_heads"].map(count)).toEqual(before);
    expect(run).toMatchObject({ decision: "deny", cause: "condition", rule: "small sums" });
    const real = gatewayCall("add", { a: 500, b: 1 });
    if (real.kind !== "deny") throw new Error("expected a refusal");
    const sent = refusalResult(real.decision, real.decisionId).content[0].text;
    expect(run.reply?.text).toBe(sent.replace(real.decisionId, "evt_…"));
  });

  it("shows the counters a call uses with their current values, and the limit that refuses", () => {
    const ctx = testContext(db, viewer);
    const input = { upstreamId, agentId, tool: "echo", arguments: '{"message":"hi"}' };
    const first = dryRunCall(ctx, input);
    expect(first).toMatchObject({ decision: "allow", forwarded: true, reply: null });
    expect(first.counters).toEqual([
      expect.objectContaining({ rule: "echo cap", current: "0", limit: "2", adds: "1" }),
    ]);
    gatewayCall("echo", { message: "a" });
    gatewayCall("echo", { message: "b" });
    const third = dryRunCall(ctx, input);
    expect(third).toMatchObject({ decision: "deny", cause: "rate_limit", rule: "echo cap" });
    expect(third.counters[0]).toMatchObject({ current: "2", refused: true, adds: null });
    expect(third.reply?.text).toContain("Rate limit of 2 per minute reached");
  });

  it("tests an unsaved draft, and says when a call would wait for approval", () => {
    const draft = POLICY.replace(
      "  add:\n    rules:\n      - name: small sums\n        conditions: [{ path: args.a, op: lt, value: 100 }]",
      "  add:\n    rules:\n      - name: big sums\n        action: require_approval\n        conditions: [{ path: args.a, op: gte, value: 100 }]",
    );
    const run = dryRunCall(testContext(db, viewer), {
      upstreamId,
      agentId,
      tool: "add",
      arguments: '{"a": 500, "b": 1}',
      draft,
    });
    expect(run.policy).toMatchObject({ draft: true });
    expect(run).toMatchObject({ decision: "approval_required", rule: "big sums" });
    expect(run.reply?.text).toMatch(/^\[APPROVAL PENDING\] Tool "add" needs approval apr_…/);
  });

  it("refuses arguments that are not a JSON object, and a draft that does not load, with clear errors", () => {
    const ctx = testContext(db, viewer);
    const base = { upstreamId, agentId, tool: "echo" };
    expect(() => dryRunCall(ctx, { ...base, arguments: "{message: hi}" })).toThrow(
      /Arguments are not valid JSON/,
    );
    expect(() => dryRunCall(ctx, { ...base, arguments: "[1]" })).toThrow(
      /Arguments must be a JSON object/,
    );
    expect(() => dryRunCall(ctx, { ...base, arguments: "{}", draft: 'version: "2"\n' })).toThrow(
      /draft policy has problems/,
    );
  });

  it("says when a disabled agent or server stops the call before the policy", () => {
    db.$client.prepare("UPDATE agents SET disabled_at = ? WHERE id = ?").run(Date.now(), agentId);
    const run = dryRunCall(testContext(db, viewer), {
      upstreamId,
      agentId,
      tool: "echo",
      arguments: '{"message":"hi"}',
    });
    expect(run.blockedBefore).toEqual(["bot is disabled: its keys are refused."]);
  });

  it("refuses anonymous callers", () => {
    expect(() =>
      dryRunCall(testContext(db, { type: "anonymous" }), {
        upstreamId,
        agentId,
        tool: "echo",
        arguments: "{}",
      }),
    ).toThrow(AppError);
  });
});

describe("replay", () => {
  it("lists the calls whose decision a draft changes, with counts, and reports progress", () => {
    for (let i = 0; i < 6; i++) gatewayCall("add", { a: i * 50, b: 1 });
    gatewayCall("trace", {});
    const draft = POLICY.replace("value: 100 }]", "value: 200 }]").replace(
      "  login:",
      "  trace:\n  login:",
    );
    const it = startReplay(testContext(db, editor), { upstreamId, draft, limit: 1000 });
    const progress: number[] = [];
    let step = it.next();
    while (!step.done) {
      progress.push(step.value.done);
      step = it.next();
    }
    const report = step.value;
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(7);
    expect(report).toMatchObject({ replayed: 7, changed: 3, unchanged: 4, unevaluated: 0 });
    expect(report.transitions).toEqual(
      expect.arrayContaining([
        { before: "deny", after: "allow", rule: "small sums", count: 2 },
        { before: "deny", after: "allow", rule: null, count: 1 },
      ]),
    );
    expect(report.changes[0]).toMatchObject({ tool: "add", arguments: { a: 100, b: 1 } });
    const last5 = replayCalls(testContext(db, editor), { upstreamId, draft, limit: 5 });
    expect(last5).toMatchObject({ replayed: 5, changed: 3 });
  });

  it("lets a viewer replay saved policies only, with the arguments masked", () => {
    for (let i = 0; i < 3; i++) gatewayCall("add", { a: i * 100, b: 1 });
    const draft = POLICY.replace("value: 100 }]", "value: 200 }]");
    // A draft would be an oracle on arguments the viewer sees masked.
    expect(() => replayCalls(testContext(db, viewer), { upstreamId, draft })).toThrow(
      expect.objectContaining({ code: "FORBIDDEN" }),
    );
    savePolicy(testContext(db, editor), { upstreamId, yaml: draft, activate: true });
    const report = replayCalls(testContext(db, viewer), { upstreamId });
    expect(report).toMatchObject({ replayed: 3, changed: 1 });
    expect(report.changes[0]?.arguments).toEqual({ a: "[REDACTED]", b: "[REDACTED]" });
    expect(report.changes[0]?.argumentsMasked).toBe(true);
  });

  it("names the rules it could not evaluate where the audit log masked the arguments", () => {
    gatewayCall("login", { user: "ann", token: "tok" });
    gatewayCall("login", { user: "bob", token: "tok" });
    const report = replayCalls(testContext(db, editor), { upstreamId, draft: POLICY });
    // bob is refused by "known user" before the masked token matters; ann's call rests on it.
    expect(report).toMatchObject({ replayed: 2, unevaluated: 1, unchanged: 1 });
    expect(report.unevaluatedRules).toEqual([{ rule: "short token", count: 1 }]);
  });

  it("counts the draft's own limits as it would have admitted the calls", () => {
    const now = Date.UTC(2026, 0, 5, 10, 0, 0);
    for (let i = 0; i < 3; i++) gatewayCall("echo", { message: `m${i}` }, POLICY, now + i * 1000);
    const draft = POLICY.replace("rate_limit: 2/minute", "rate_limit: 1/minute");
    const report = replayCalls(testContext(db, editor), { upstreamId, draft });
    expect(report).toMatchObject({ replayed: 3, changed: 1, unchanged: 2 });
    expect(report.transitions).toEqual([
      { before: "allow", after: "deny", rule: "echo cap", count: 1 },
    ]);
  });

  it("refuses a limit above 100,000", () => {
    expect(() => startReplay(testContext(db, viewer), { upstreamId, limit: 100_001 })).toThrow();
  });
});

describe("grant check", () => {
  const refused = (tool: string, args: Record<string, unknown>) => {
    const v = gatewayCall(tool, args);
    if (v.kind !== "deny") throw new Error(`expected ${tool} to be refused`);
    return v.decisionId;
  };

  it("tells the truth: a grant helps an unlisted tool and cannot unhide or bypass a condition", () => {
    const ctx = testContext(db, editor);
    const unlisted = checkGrantForCall(ctx, {
      eventId: refused("trace", {}),
      toolPattern: "trace",
    });
    expect(unlisted).toMatchObject({ helps: true, fix: "none" });
    expect(unlisted.verdict).toMatch(/next identical call goes through/);

    const hidden = checkGrantForCall(ctx, {
      eventId: refused("get-env", {}),
      toolPattern: "get-env",
    });
    expect(hidden).toMatchObject({ helps: false, fix: "edit_hide" });
    expect(hidden.verdict).toMatch(/would not change the decision/);

    const condition = checkGrantForCall(ctx, {
      eventId: refused("add", { a: 500, b: 1 }),
      toolPattern: "add",
    });
    expect(condition).toMatchObject({
      helps: false,
      fix: "edit_rule",
      fixHref: "/console/policies/everything?rule=small%20sums",
    });
  });

  it("trusts the recorded refusal where the audit log masked what the deciding rule reads", () => {
    const ctx = testContext(db, editor);
    const eventId = refused("login", { user: "ann", token: "xyz" });
    const check = checkGrantForCall(ctx, { eventId, toolPattern: "login" });
    expect(check).toMatchObject({
      helps: false,
      fix: "edit_rule",
      uncertainRules: [],
      with: { cause: "condition", rule: "short token" },
    });
    expect(check.verdict).toMatch(/would not change the decision/);
  });

  it("lifts a rate-limit refusal only with a limit of its own", () => {
    const ctx = testContext(db, editor);
    gatewayCall("echo", { message: "a" });
    gatewayCall("echo", { message: "b" });
    const eventId = refused("echo", { message: "c" });
    expect(checkGrantForCall(ctx, { eventId, toolPattern: "echo" })).toMatchObject({
      helps: false,
      fix: "set_own_limit",
    });
    expect(
      checkGrantForCall(ctx, {
        eventId,
        toolPattern: "echo",
        rateLimit: { max: 10, windowSeconds: 60 },
      }),
    ).toMatchObject({ helps: true });
  });

  it("the grant API refuses a grant that would not change the decision, and saves one that does", () => {
    const ctx = testContext(db, editor);
    const base = { agentId, upstreamId, effect: "allow" } as const;
    const condition = refused("add", { a: 500, b: 1 });
    expect(() => createGrant(ctx, { ...base, toolPattern: "add", forEventId: condition })).toThrow(
      /would not change the decision/,
    );
    expect(() => createGrant(ctx, { ...base, toolPattern: "get-env" })).toThrow(
      /no grant overrides hide/,
    );
    const trace = refused("trace", {});
    createGrant(ctx, { ...base, toolPattern: "trace", forEventId: trace });
    expect(gatewayCall("trace", {}).kind).toBe("allow");
  });
});
