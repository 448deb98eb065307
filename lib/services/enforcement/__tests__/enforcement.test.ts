import { createHash } from "node:crypto";

import { beforeEach, describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { loadPolicy } from "@/lib/core/policy";
import { verifyChain } from "@/lib/services/audit";
import { createTestDb } from "@/lib/testing";
import { auditArguments, decideToolCall, MASK, OutcomeWriter, recordRefusal } from "..";

let db: Db;
beforeEach(() => {
  db = createTestDb();
});

const snapshot = (yaml: string) => {
  const r = loadPolicy(yaml);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.snapshot;
};

const decide = (
  snap: ReturnType<typeof snapshot>,
  args: Record<string, unknown>,
  extra: Partial<Parameters<typeof decideToolCall>[1]> = {},
) =>
  decideToolCall(db, {
    snapshot: snap,
    policyVersion: "pv_1",
    server: "srv",
    upstreamId: null,
    tool: "send",
    arguments: args,
    identity: { agentId: "agt_1", keyId: "key_1", label: "bot" },
    grants: [],
    source: "gateway",
    requestId: "7",
    now: Date.now(),
    ...extra,
  });

const rows = () =>
  db.$client.prepare("SELECT * FROM audit_events ORDER BY seq").all() as Record<string, unknown>[];

describe("decideToolCall", () => {
  it("records one decision row with reservations in the same transaction, and enforces the limit exactly", () => {
    const snap = snapshot(
      `version: "1"\ntools:\n  send:\n    rules:\n      - rate_limit: 3/hour\n`,
    );
    const kinds = Array.from({ length: 5 }, () => decide(snap, { to: "a" }).kind);
    expect(kinds).toEqual(["allow", "allow", "allow", "deny", "deny"]);
    expect(rows()).toHaveLength(5);
    expect(
      (db.$client.prepare("SELECT count(*) AS n FROM counter_events").get() as { n: number }).n,
    ).toBe(3);
    expect(rows()[3]).toMatchObject({
      action: "tool_call.decide",
      decision: "deny",
      cause: "rate_limit",
      actor_id: "agt_1",
      policy_version: "pv_1",
      request_id: "7",
    });
  });

  it("refuses a quarantined tool before the policy runs", () => {
    const v = decide(snapshot(`version: "1"\n`), {}, { quarantined: true });
    expect(v.kind).toBe("deny");
    expect(rows()[0]).toMatchObject({ decision: "deny", cause: "quarantined" });
  });

  it("fails closed: a database that refuses the write throws and leaves no reservation", () => {
    const snap = snapshot(
      `version: "1"\ntools:\n  send:\n    rules:\n      - rate_limit: 3/hour\n`,
    );
    db.$client.exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
    );
    expect(() => decide(snap, {})).toThrow(/disk full/);
    expect(
      (db.$client.prepare("SELECT count(*) AS n FROM counter_events").get() as { n: number }).n,
    ).toBe(0);
  });

  it("stores arguments per the policy's audit mode", () => {
    decide(
      snapshot(`version: "1"\naudit:\n  arguments: hash\n`),
      { password: "p" },
      { hmacKey: "h".repeat(32) },
    );
    decide(snapshot(`version: "1"\naudit:\n  arguments: full\n`), { password: "p" });
    decide(snapshot(`version: "1"\n`), { password: "p", note: "x".repeat(400) });
    const [hashed, full, redacted] = rows().map((r) => [
      r.arguments_mode,
      JSON.parse(String(r.arguments)),
    ]);
    expect(hashed).toEqual([
      "hash",
      { alg: "hmac-sha256", digest: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
    expect(full).toEqual(["full", { password: "p" }]);
    expect(redacted?.[1]).toMatchObject({ password: MASK });
    expect(String((redacted?.[1] as { note: string }).note)).toMatch(/…\[\+144 chars\]$/);
  });
});

describe("audit arguments", () => {
  it("masks secret-looking keys and values at any depth", () => {
    const out = JSON.parse(
      auditArguments(
        {
          api_key: "abc",
          headers: { Authorization: "Bearer abcdefghijk" },
          list: [{ token: 1 }],
          note: "sk-abcdefghijklmnopqrstu",
          author: "ada",
        },
        "redacted",
      ),
    );
    expect(out).toEqual({
      api_key: MASK,
      headers: { Authorization: MASK },
      list: [{ token: MASK }],
      note: MASK,
      author: "ada",
    });
  });
});

describe("audit arguments keep every forwarded key", () => {
  const wire =
    '{"__proto__":{"x":1,"__proto__":[2]},"constructor":{"prototype":3},"toString":"s","n":{"__proto__":null}}';
  const forwarded = JSON.parse(wire) as Record<string, unknown>;
  const canonical =
    '{"__proto__":{"__proto__":[2],"x":1},"constructor":{"prototype":3},"n":{"__proto__":null},"toString":"s"}';

  it.each(["full", "redacted"] as const)("%s: __proto__ and constructor, nested too", (mode) => {
    const audited = auditArguments(forwarded, mode);
    expect(audited).toBe(canonical);
  });

  it("hash: the digest of the same canonical text", () => {
    const digest = createHash("sha256").update(canonical).digest("hex");
    expect(JSON.parse(auditArguments(forwarded, "hash"))).toEqual({ alg: "sha256", digest });
  });

  it("a decision row records them, and the redaction never touches Object.prototype", () => {
    const snap = snapshot(`version: "1"\n`);
    decide(snap, forwarded);
    expect(rows().at(-1)).toMatchObject({ arguments: canonical, arguments_mode: "redacted" });
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe("outcomes and refusals", () => {
  it("batches outcome rows, rolls back reservations on protocol failures, and keeps the chain intact", () => {
    const snap = snapshot(
      `version: "1"\ntools:\n  send:\n    rules:\n      - rate_limit: 3/hour\n`,
    );
    const a = decide(snap, {});
    const b = decide(snap, {});
    const writer = new OutcomeWriter(db, 10_000);
    const actor = { agentId: "agt_1", label: "bot" };
    writer.record({
      decisionId: a.kind === "allow" ? a.decisionId : "",
      server: "srv",
      tool: "send",
      actor,
      source: "gateway",
      outcome: "timeout",
      latencyMs: 5,
      resultBytes: null,
      at: Date.now(),
    });
    writer.record({
      decisionId: b.kind === "allow" ? b.decisionId : "",
      server: "srv",
      tool: "send",
      actor,
      source: "gateway",
      outcome: "is_error",
      latencyMs: 5,
      resultBytes: 10,
      at: Date.now(),
    });
    // The timeout rolled back at once; the is_error outcome waits for the batch.
    expect(writer.pending).toBe(1);
    expect(
      (db.$client.prepare("SELECT count(*) AS n FROM counter_events").get() as { n: number }).n,
    ).toBe(1);
    expect(writer.close()).toBe(true);
    expect(
      (db.$client.prepare("SELECT count(*) AS n FROM counter_events").get() as { n: number }).n,
    ).toBe(1);
    expect(
      rows()
        .slice(-2)
        .map((r) => [r.action, r.outcome]),
    ).toEqual([
      ["tool_call.outcome", "timeout"],
      ["tool_call.outcome", "is_error"],
    ]);
    recordRefusal(db, {
      cause: "batch",
      reason: "batch",
      source: "stdio",
      server: "srv",
      actor: null,
      at: Date.now(),
    });
    expect(rows().at(-1)).toMatchObject({
      action: "message.refuse",
      decision: "deny",
      cause: "batch",
      actor_type: "anonymous",
    });
    expect(verifyChain(db).ok).toBe(true);
  });
});

describe("outcome batches", () => {
  it("writes a full batch on the next turn instead of waiting for the timer", async () => {
    const writer = new OutcomeWriter(db, 60_000, undefined, 3);
    const record = (i: number) =>
      writer.record({
        decisionId: `evt_${i}`,
        server: "srv",
        tool: "send",
        actor: { agentId: "agt_1", label: "bot" },
        source: "stdio",
        outcome: "success",
        latencyMs: 1,
        resultBytes: 2,
        at: Date.now(),
      });
    record(1);
    record(2);
    await new Promise((r) => setImmediate(r));
    expect(writer.pending).toBe(2);
    record(3);
    // Not in the turn that filled the batch: the answer behind the third row goes out first.
    expect(writer.pending).toBe(3);
    await new Promise((r) => setImmediate(r));
    expect(writer.pending).toBe(0);
    record(4);
    await new Promise((r) => setImmediate(r));
    expect(writer.pending).toBe(1);
    expect(writer.close()).toBe(true);
    expect(rows().filter((r) => r.action === "tool_call.outcome")).toHaveLength(4);
    expect(verifyChain(db).ok).toBe(true);
  });
});

describe("counters through decisions", () => {
  const actor = { agentId: "agt_1", label: "bot" };
  /** The outcome of a call whose upstream answered with a JSON-RPC error. */
  const outcomeOf = (decisionId: string) =>
    ({
      decisionId,
      server: "srv",
      tool: "send",
      actor,
      source: "gateway",
      outcome: "jsonrpc_error",
      latencyMs: 3,
      resultBytes: null,
      error: "-32603 upstream broke",
      at: Date.now(),
    }) as const;
  const failed = (writer: OutcomeWriter, decisionId: string) =>
    writer.record(outcomeOf(decisionId));

  it("gives the slot back before the next decision when the upstream call failed", () => {
    const snap = snapshot(
      `version: "1"\ntools:\n  send:\n    rules:\n      - rate_limit: { max: 2, window: 60 }\n`,
    );
    const writer = new OutcomeWriter(db, 60_000);
    const first = decide(snap, {});
    expect(decide(snap, {}).kind).toBe("allow");
    expect(decide(snap, {}).kind).toBe("deny");
    failed(writer, first.kind === "allow" ? first.decisionId : "");
    // No timer has fired: the rollback was written with the outcome.
    expect(decide(snap, {}).kind).toBe("allow");
    expect(decide(snap, {}).kind).toBe("deny");
    writer.close();
    expect(verifyChain(db).ok).toBe(true);
  });

  it("gives back what the outcome names as reserved: by those keys, nothing for none", () => {
    const snap = snapshot(
      `version: "1"\ntools:\n  send:\n    rules:\n      - rate_limit: { max: 1, window: 60 }\n`,
    );
    const writer = new OutcomeWriter(db, 60_000);
    const first = decide(snap, {});
    if (first.kind !== "allow") throw new Error("expected an allow");
    const keys = first.decision.reservations.map((r) => r.key);
    expect(keys).toHaveLength(1);
    const count = () =>
      (db.$client.prepare("SELECT count(*) AS n FROM counter_events").get() as { n: number }).n;
    // A caller that knows the call reserved nothing: no row is looked for, none is removed.
    writer.record({ ...outcomeOf(first.decisionId), reservedKeys: [] });
    expect(count()).toBe(1);
    expect(decide(snap, {}).kind).toBe("deny");
    // Keys of another counter: the call's own row stays.
    writer.record({ ...outcomeOf(first.decisionId), reservedKeys: ['["other"]'] });
    expect(count()).toBe(1);
    writer.record({ ...outcomeOf(first.decisionId), reservedKeys: keys });
    expect(count()).toBe(0);
    expect(decide(snap, {}).kind).toBe("allow");
    writer.close();
  });

  it("frees a rolling slot exactly when the oldest reservation leaves the window", () => {
    const snap = snapshot(
      `version: "1"\ntools:\n  send:\n    rules:\n      - rate_limit: { max: 2, window: 60 }\n`,
    );
    const t0 = Date.now() + 3_600_000; // ahead of the wall clock, so `now` is exactly this
    expect(decide(snap, {}, { now: t0 }).kind).toBe("allow");
    expect(decide(snap, {}, { now: t0 + 20_000 }).kind).toBe("allow");
    const refused = decide(snap, {}, { now: t0 + 59_999 });
    expect(refused).toMatchObject({ kind: "deny", decision: { retryAfterSeconds: 1 } });
    expect(decide(snap, {}, { now: t0 + 60_000 }).kind).toBe("allow");
    expect(decide(snap, {}, { now: t0 + 60_001 })).toMatchObject({
      kind: "deny",
      decision: { retryAfterSeconds: 20 },
    });
  });

  it("restarts a calendar limit at the UTC boundary", () => {
    const snap = snapshot(
      `version: "1"\ntools:\n  send:\n    rules:\n      - rate_limit: 2/minute\n`,
    );
    const minute = Math.ceil((Date.now() + 3_600_000) / 60_000) * 60_000;
    const kinds = [-3, -2, -1, 0, 1, 2].map((d) => decide(snap, {}, { now: minute + d }).kind);
    expect(kinds).toEqual(["allow", "allow", "deny", "allow", "allow", "deny"]);
  });

  it("reads another tool's counter through its head without counting in it", () => {
    const snap = snapshot(`version: "1"
tools:
  create_charge:
    rules:
      - state: { counter: charges, window: day }
        conditions: [{ path: state.create_charge.charges, op: lte, value: 10 }]
  create_refund:
    rules:
      - name: quiet days only
        conditions: [{ path: state.create_charge.charges, op: lt, value: 2 }]
`);
    const day = Math.ceil((Date.now() + 3_600_000) / 86_400_000) * 86_400_000 + 3_600_000;
    const at = (tool: string, offset: number, agentId = "agt_1") =>
      decide(
        snap,
        {},
        { tool, now: day + offset, identity: { agentId, keyId: null, label: agentId } },
      );
    const writer = new OutcomeWriter(db, 60_000);

    expect(at("create_refund", 0)).toMatchObject({ kind: "allow", decision: { reservations: [] } });
    expect(at("create_charge", 1).kind).toBe("allow");
    const second = at("create_charge", 2);
    expect(at("create_refund", 3)).toMatchObject({
      kind: "deny",
      decision: {
        cause: "condition",
        rule: "quiet days only",
        reason: "condition failed: state.create_charge.charges lt 2 (read only, per day: 2 so far)",
      },
    });
    // Per agent, as the charges counter is declared.
    expect(at("create_refund", 4, "agt_2").kind).toBe("allow");
    // A charge rolled back no longer counts for the read either.
    failed(writer, second.kind === "allow" ? second.decisionId : "");
    expect(at("create_refund", 5).kind).toBe("allow");
    // Tomorrow is a new window.
    expect(at("create_refund", 86_400_000).kind).toBe("allow");

    const events = db.$client.prepare("SELECT key FROM counter_events").all() as { key: string }[];
    expect(events.map((e) => e.key)).toEqual([
      '["agent","agt_1","srv","state.create_charge.charges"]',
    ]);
    // The read used the limit's own head: one per key and window shape, nothing else.
    expect(db.$client.prepare("SELECT key, window FROM counter_heads ORDER BY key").all()).toEqual([
      { key: '["agent","agt_1","srv","state.create_charge.charges"]', window: "calendar:day" },
      { key: '["agent","agt_2","srv","state.create_charge.charges"]', window: "calendar:day" },
    ]);
    writer.close();
    expect(verifyChain(db).ok).toBe(true);
  });

  it("keeps a spend cap across a policy edit that changes its window, rebuilding the total once", () => {
    const cap = (window: string, max: number) =>
      snapshot(`version: "1"
tools:
  send:
    rules:
      - state: { counter: spend, window: ${window}, increment_from: args.amount }
        conditions: [{ path: state.send.spend, op: lte, value: ${max} }]
`);
    let hour = Math.ceil((Date.now() + 7_200_000) / 3_600_000) * 3_600_000;
    if (hour % 86_400_000 === 0) hour += 3_600_000; // keep both calls of the day in one day
    expect(decide(cap("day", 10), { amount: 4.5 }, { now: hour - 60_000 }).kind).toBe("allow");
    expect(decide(cap("day", 10), { amount: 4.5 }, { now: hour + 1_000 }).kind).toBe("allow");
    expect(decide(cap("day", 10), { amount: 1.5 }, { now: hour + 2_000 }).kind).toBe("deny");
    // Same counter, now per hour: only the 4.5 of this hour counts.
    expect(decide(cap("hour", 6), { amount: 1.5 }, { now: hour + 3_000 }).kind).toBe("allow");
    expect(decide(cap("hour", 6), { amount: 0.01 }, { now: hour + 4_000 }).kind).toBe("deny");
    // And back: the day's head kept counting the hour's reservation too.
    expect(decide(cap("day", 10.5), { amount: 0 }, { now: hour + 5_000 }).kind).toBe("allow");
    expect(decide(cap("day", 10.5), { amount: 0.01 }, { now: hour + 6_000 }).kind).toBe("deny");
  });
});
