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
    expect(writer.pending).toBe(2);
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
