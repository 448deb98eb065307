import { beforeEach, describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { loadPolicy } from "@/lib/core/policy";
import { verifyChain } from "@/lib/services/audit";
import { createTestDb } from "@/lib/testing";
import { type DecideCallInput, DecisionBatcher } from "..";

let db: Db;
beforeEach(() => {
  db = createTestDb();
});

const LIMITED = (() => {
  const r = loadPolicy(
    `version: "1"\ntools:\n  send:\n    rules:\n      - rate_limit: { max: 10, window: 3600 }\n`,
  );
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.snapshot;
})();

const input = (i: number, extra: Partial<DecideCallInput> = {}): DecideCallInput => ({
  snapshot: LIMITED,
  policyVersion: "pv_1",
  server: "srv",
  upstreamId: null,
  tool: "send",
  arguments: { i },
  identity: { agentId: "agt_1", keyId: "key_1", label: "bot" },
  grants: [],
  source: "gateway",
  requestId: String(i),
  now: Date.now(),
  ...extra,
});

const count = (sql: string) => (db.$client.prepare(sql).get() as { n: number }).n;

describe("DecisionBatcher", () => {
  it("decides 50 concurrent calls in one transaction: exactly 10 of a limit of 10, every row audited", async () => {
    const batcher = new DecisionBatcher(db);
    const verdicts = await Promise.all(
      Array.from({ length: 50 }, (_, i) => batcher.decide(input(i))),
    );
    expect(batcher.batches).toBe(1);
    // Arrival order: the first ten are the ones admitted.
    expect(verdicts.map((v) => v.kind)).toEqual([
      ...Array<string>(10).fill("allow"),
      ...Array<string>(40).fill("deny"),
    ]);
    expect(count("SELECT count(*) AS n FROM audit_events WHERE action = 'tool_call.decide'")).toBe(
      50,
    );
    expect(count("SELECT count(*) AS n FROM counter_events")).toBe(10);
    const ids = verdicts.map((v) => ("decisionId" in v ? v.decisionId : null));
    expect(new Set(ids).size).toBe(50);
    expect(verifyChain(db).ok).toBe(true);
  });

  it("flushes at maxBatch without waiting for the next turn", async () => {
    const batcher = new DecisionBatcher(db, 4);
    const first = Array.from({ length: 4 }, (_, i) => batcher.decide(input(i)));
    expect(batcher.pending).toBe(0);
    expect(count("SELECT count(*) AS n FROM audit_events")).toBe(4);
    const fifth = batcher.decide(input(5));
    expect(batcher.pending).toBe(1);
    expect((await Promise.all([...first, fifth])).every((v) => v.kind === "allow")).toBe(true);
  });

  it("rolls back one failing decision alone, in its savepoint", async () => {
    db.$client.exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON audit_events WHEN NEW.request_id = '1' BEGIN SELECT RAISE(ABORT, 'refused'); END;",
    );
    const batcher = new DecisionBatcher(db);
    const settled = await Promise.allSettled([0, 1, 2].map((i) => batcher.decide(input(i))));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((settled[1] as PromiseRejectedResult).reason)).toMatch(/refused/);
    expect(count("SELECT count(*) AS n FROM audit_events")).toBe(2);
    // The refused call's reservation rolled back with its savepoint.
    expect(count("SELECT count(*) AS n FROM counter_events")).toBe(2);
    expect(count("SELECT count(*) AS n FROM counter_heads WHERE total = '2'")).toBe(1);
    expect(verifyChain(db).ok).toBe(true);
  });

  it("rejects every call of the batch when the commit fails (fail closed)", async () => {
    // A deferred foreign key is only checked at COMMIT: every decision succeeds, the commit fails.
    db.$client.exec(`
      CREATE TABLE parent (id TEXT PRIMARY KEY);
      CREATE TABLE child (ref TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
      CREATE TRIGGER orphan AFTER INSERT ON audit_events BEGIN INSERT INTO child VALUES ('none'); END;
    `);
    const batcher = new DecisionBatcher(db);
    const settled = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => batcher.decide(input(i))),
    );
    expect(settled.every((s) => s.status === "rejected")).toBe(true);
    expect(count("SELECT count(*) AS n FROM audit_events")).toBe(0);
    expect(count("SELECT count(*) AS n FROM counter_events")).toBe(0);
    expect(count("SELECT count(*) AS n FROM counter_heads")).toBe(0);
  });
});
