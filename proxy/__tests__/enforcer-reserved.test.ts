import fs from "node:fs";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { DecisionBatcher, type OutcomeInput, OutcomeWriter } from "@/lib/services/enforcement";
import { tempDatabase } from "@/lib/testing/proxy";
import { Cancellation } from "../cancellation";
import { Enforcer } from "../enforcer";
import { ProxyMetrics } from "../metrics";
import { FilePolicySource } from "../policy-source";

const POLICY = `version: "1"
tools:
  send:
    rules:
      - rate_limit: { max: 1, window: 60 }
`;

describe("Enforcer: what a forwarded call reserved", () => {
  let t: ReturnType<typeof tempDatabase>;
  let outcomes: OutcomeWriter;
  let enforcer: Enforcer;
  let source: FilePolicySource;
  let recorded: OutcomeInput[];

  beforeEach(() => {
    t = tempDatabase();
    const file = path.join(t.dir, "policy.yaml");
    fs.writeFileSync(file, POLICY);
    source = new FilePolicySource(file, t.db, "srv");
    outcomes = new OutcomeWriter(t.db, 60_000);
    recorded = [];
    const record = outcomes.record.bind(outcomes);
    vi.spyOn(outcomes, "record").mockImplementation((input) => {
      recorded.push(input);
      record(input);
    });
    enforcer = new Enforcer({
      db: t.db,
      server: "srv",
      source: "stdio",
      identity: { agentId: "agt_1", keyId: null, label: "bot" },
      policy: source,
      outcomes,
      decisions: new DecisionBatcher(t.db),
      metrics: new ProxyMetrics(),
      approvalWaitMs: 1_000,
    });
  });

  afterEach(() => {
    outcomes.close();
    source.close();
    t.cleanup();
  });

  const decide = async (tool: string) => {
    const action = await enforcer.decide(
      { id: 1, tool, arguments: {} },
      () => {},
      new Cancellation(),
    );
    if (action.kind !== "forward") throw new Error(`expected a forward, got ${action.kind}`);
    return action.decisionId;
  };
  const reservations = () =>
    (t.db.$client.prepare("SELECT count(*) AS n FROM counter_events").get() as { n: number }).n;

  it("hands the outcome the keys the call reserved, once, so a rollback seeks them", async () => {
    const id = await decide("send");
    expect(reservations()).toBe(1);
    enforcer.outcome(id, "send", "jsonrpc_error", 1, null, "-32603 broke");
    expect(recorded[0]?.reservedKeys).toEqual([expect.stringContaining('"agent","agt_1","srv"')]);
    expect(reservations()).toBe(0);
    // The slot is free for the next call at once.
    const again = await decide("send");
    // Recorded once: a second outcome for the same call knows nothing of its keys.
    enforcer.outcome(id, "send", "success", 1, 2);
    expect(recorded[1]?.reservedKeys).toBeUndefined();
    enforcer.outcome(again, "send", "success", 1, 2);
    expect(reservations()).toBe(1);
  });

  it("says a call without limits reserved nothing", async () => {
    const id = await decide("other");
    enforcer.outcome(id, "other", "timeout", 1, null, "no answer");
    expect(recorded[0]?.reservedKeys).toEqual([]);
  });
});
