import { describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { newId } from "@/lib/core/ids";
import { createTestDb, testContext } from "@/lib/testing";
import { appendEvents } from "../../audit";
import type { AuditFields } from "../../audit/chain";
import { withTransaction } from "../../context";
import { createInstance } from "../../instances";
import { getStatusReport } from "..";

const NOW = new Date("2026-03-01T12:00:00Z");
const ago = (ms: number) => NOW.getTime() - ms;

function decide(at: number, over: Partial<AuditFields> = {}): AuditFields {
  return {
    id: newId("event"),
    occurredAt: at,
    source: "gateway",
    actorType: "agent",
    actorLabel: "bot",
    action: "tool_call.decide",
    server: "fs",
    tool: "read",
    decision: "allow",
    ...over,
  };
}

function write(db: Db, rows: AuditFields[]) {
  withTransaction({ db }, (tx) => appendEvents(tx, rows));
}

describe("getStatusReport", () => {
  it("counts recent calls, the deny rate, top deny rules and the latest denials", () => {
    const db = createTestDb();
    const deny = (at: number, rule: string | null, cause = "rule") =>
      decide(at, { decision: "deny", rule, cause, tool: "write", message: "no" });
    write(db, [
      decide(ago(2 * 3_600_000)),
      deny(ago(2 * 3_600_000), "no-writes"),
      decide(ago(30 * 60_000)),
      deny(ago(20 * 60_000), "no-writes"),
      deny(ago(60_000), null, "hidden"),
      decide(ago(60_000)),
      decide(ago(30_000), { action: "message.refuse", decision: "deny", cause: "malformed" }),
    ]);
    createInstance(db, { kind: "gateway", pid: 7, host: "h", server: null, address: null }, NOW);
    const report = getStatusReport(testContext(db, undefined, () => NOW));
    expect(report.instances.map((i) => i.pid)).toEqual([7]);
    expect(report.callsPerMinute).toBe(2 / 5);
    expect(report.callsLastHour).toBe(4);
    expect(report.denyRate).toBe(0.5);
    expect(report.topDenyRules).toEqual([
      { rule: "no-writes", n: 2 },
      { rule: "hidden", n: 1 },
    ]);
    expect(report.recentDenials.map((d) => d.cause)).toEqual([
      "malformed",
      "hidden",
      "rule",
      "rule",
    ]);
    expect(report.recentDenials[1]).toMatchObject({ tool: "write", message: "no", rule: null });
  });

  it("reports zeros on an empty database", () => {
    const report = getStatusReport(testContext(createTestDb(), undefined, () => NOW));
    expect(report).toEqual({
      instances: [],
      callsPerMinute: 0,
      callsLastHour: 0,
      denyRate: 0,
      topDenyRules: [],
      recentDenials: [],
    });
  });
});
