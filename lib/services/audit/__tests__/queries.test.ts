import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { auditEvents } from "@/db/schema";
import { newId } from "@/lib/core/ids";
import { createTestDb, testContext } from "@/lib/testing";
import { withTransaction } from "../../context";
import { appendEvents } from "../append";
import type { AuditFields } from "../chain";
import {
  auditStats,
  csvCell,
  exportAuditEvents,
  getAuditEvent,
  listAuditEvents,
  verifyAuditChain,
} from "../queries";

const viewer = { type: "user", userId: "u", label: "v@x", role: "viewer" } as const;
const editor = { type: "user", userId: "e", label: "e@x", role: "editor" } as const;

function decision(at: number, over: Partial<AuditFields> = {}): AuditFields {
  return {
    id: newId("event"),
    occurredAt: at,
    source: "gateway",
    actorType: "agent",
    actorId: "agt_1",
    actorLabel: "demo-agent",
    action: "tool_call.decide",
    server: "everything",
    tool: "echo",
    decision: "allow",
    arguments: JSON.stringify({ message: "hello", token: "[REDACTED]" }),
    argumentsMode: "redacted",
    policyVersion: "1",
    ...over,
  };
}

function outcome(of: AuditFields, latencyMs: number, result = "success"): AuditFields {
  return {
    id: newId("event"),
    occurredAt: of.occurredAt + latencyMs,
    source: "gateway",
    actorType: "agent",
    actorId: of.actorId,
    actorLabel: of.actorLabel,
    action: "tool_call.outcome",
    server: of.server,
    tool: of.tool,
    outcome: result,
    latencyMs,
    correlationId: of.id,
  };
}

function write(db: Db, rows: AuditFields[]) {
  withTransaction({ db }, (tx) => appendEvents(tx, rows));
}

describe("listAuditEvents", () => {
  it("pages by seq without gaps or repeats, newest first and oldest first", () => {
    const db = createTestDb();
    const t = Date.now();
    write(
      db,
      Array.from({ length: 250 }, (_, i) => decision(t + i)),
    );
    const seen: number[] = [];
    let cursor: number | undefined;
    do {
      const page = listAuditEvents(testContext(db), { limit: 100, cursor });
      seen.push(...page.rows.map((r) => r.seq));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => 250 - i));
    const oldest = listAuditEvents(testContext(db), { sort: "oldest", limit: 3 });
    expect(oldest.rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(oldest.headSeq).toBe(250);
  });

  it("filters by view, server, tool, decision, rule, agent, time and free text (wildcards literal)", () => {
    const db = createTestDb();
    const t = 1_700_000_000_000;
    write(db, [
      decision(t, { tool: "get-sum" }),
      decision(t + 1000, {
        decision: "deny",
        cause: "rule",
        rule: "no long-running operations",
        tool: "trigger-long-running-operation",
      }),
      decision(t + 2000, {
        decision: "deny",
        cause: "not_permitted",
        tool: "get-tiny-image",
        actorLabel: "other-agent",
        actorId: "agt_2",
      }),
      decision(t + 3000, { server: "memory", arguments: JSON.stringify({ q: "100%_done" }) }),
    ]);
    const ctx = testContext(db);
    const tools = (input: Parameters<typeof listAuditEvents>[1]) =>
      listAuditEvents(ctx, input).rows.map((r) => r.tool);
    expect(tools({ view: "denied" })).toEqual(["get-tiny-image", "trigger-long-running-operation"]);
    expect(tools({ server: "memory" })).toEqual(["echo"]);
    expect(tools({ rule: "no long-running operations" })).toEqual([
      "trigger-long-running-operation",
    ]);
    expect(tools({ agent: "other-agent" })).toEqual(["get-tiny-image"]);
    expect(tools({ agent: "agt_2" })).toEqual(["get-tiny-image"]);
    expect(tools({ from: t + 500, to: new Date(t + 2500).toISOString() })).toEqual([
      "get-tiny-image",
      "trigger-long-running-operation",
    ]);
    expect(tools({ q: "tiny" })).toEqual(["get-tiny-image"]);
    expect(tools({ q: "100%_d" })).toEqual(["echo"]);
    expect(tools({ q: "%" })).toEqual(["echo"]);
    expect(tools({ q: "'; DROP TABLE audit_events; --" })).toEqual([]);
    expect(() => listAuditEvents(ctx, { from: "not a date" })).toThrow();
  });

  it("masks argument values for viewers only", () => {
    const db = createTestDb();
    write(db, [decision(Date.now())]);
    expect(listAuditEvents(testContext(db, editor)).rows[0]?.arguments).toEqual({
      message: "hello",
      token: "[REDACTED]",
    });
    const masked = listAuditEvents(testContext(db, viewer)).rows[0];
    expect(masked?.arguments).toEqual({ message: "[REDACTED]", token: "[REDACTED]" });
    expect(masked?.argumentsMasked).toBe(true);
    expect(JSON.stringify(masked)).not.toContain("hello");
  });
});

describe("free text and viewers", () => {
  it("never matches a viewer's search against tool arguments, which they see masked", () => {
    const db = createTestDb();
    write(db, [
      decision(Date.now(), {
        tool: "get-env",
        arguments: JSON.stringify({ apiKey: "sk_live_abc123" }),
      }),
    ]);
    const search = (actor: typeof viewer | typeof editor, q: string) =>
      listAuditEvents(testContext(db, actor), { q }).rows.map((r) => r.tool);
    // A prefix at a time would spell the value out.
    for (const q of ["sk_live_a", "abc12", "sk"]) {
      expect(search(editor, q)).toEqual(["get-env"]);
      expect(search(viewer, q)).toEqual([]);
    }
    // Text without a word is a substring match: the arguments are left out of that too.
    expect(search(editor, '":"')).toEqual(["get-env"]);
    expect(search(viewer, '":"')).toEqual([]);
    // What a viewer does see is still searched.
    expect(search(viewer, "get-e")).toEqual(["get-env"]);
    const csv = (actor: typeof viewer | typeof editor) =>
      [...exportAuditEvents(testContext(db, actor), { format: "csv", q: "sk_live" }).lines].length;
    expect(csv(editor)).toBe(2);
    expect(csv(viewer)).toBe(1);
  });
});

describe("listAuditEvents withOutcomes", () => {
  it("returns each decision's outcome keyed by decision id", () => {
    const db = createTestDb();
    const d1 = decision(Date.now());
    const d2 = decision(Date.now() + 1, { decision: "deny" });
    write(db, [d1, outcome(d1, 12), d2]);
    const page = listAuditEvents(testContext(db), { view: "decisions", withOutcomes: "1" });
    expect(page.rows.map((r) => r.id)).toEqual([d2.id, d1.id]);
    expect(Object.keys(page.outcomes ?? {})).toEqual([d1.id]);
    expect(page.outcomes?.[d1.id]?.latencyMs).toBe(12);
    expect(listAuditEvents(testContext(db), { view: "decisions" }).outcomes).toBeUndefined();
  });
});

describe("getAuditEvent", () => {
  it("joins a decision with its outcome, and an outcome with its decision", () => {
    const db = createTestDb();
    const d = decision(Date.now());
    const o = outcome(d, 42);
    write(db, [d, o]);
    const detail = getAuditEvent(testContext(db), d.id);
    expect(detail.outcome).toMatchObject({ id: o.id, latencyMs: 42, outcome: "success" });
    expect(getAuditEvent(testContext(db), o.id).decision?.id).toBe(d.id);
    expect(() => getAuditEvent(testContext(db), "evt_missing")).toThrow(/does not exist/);
  });

  it("finds outcomes through the correlation index, which holds no decision row", () => {
    const db = createTestDb();
    const d = decision(Date.now());
    write(db, [d, outcome(d, 7), decision(Date.now())]);
    const sql = db.$client;
    // A partial index: rows without a correlation id (decisions) are not in it, so a decision's
    // commit leaves it alone.
    expect(sql.pragma("index_list(audit_events)")).toContainEqual(
      expect.objectContaining({ name: "audit_events_correlation_idx", partial: 1 }),
    );
    const plan = (query: string) =>
      (sql.prepare(`EXPLAIN QUERY PLAN ${query}`).all("a", "b") as { detail: string }[])
        .map((r) => r.detail)
        .join("; ");
    expect(
      plan(
        "SELECT * FROM audit_events WHERE correlation_id = ? AND action = ? ORDER BY seq DESC LIMIT 1",
      ),
    ).toMatch(/USING INDEX audit_events_correlation_idx/);
    expect(plan("SELECT * FROM audit_events WHERE correlation_id IN (?, ?)")).toMatch(
      /USING INDEX audit_events_correlation_idx/,
    );
  });
});

describe("auditStats", () => {
  it("counts calls, denials, errors, latency percentiles and top denials in the window", () => {
    const db = createTestDb();
    const now = Date.now();
    const rows: AuditFields[] = [];
    for (let i = 0; i < 10; i++) {
      const d = decision(now - 30_000 + i);
      rows.push(d, outcome(d, (i + 1) * 10, i === 9 ? "timeout" : "success"));
    }
    rows.push(decision(now - 5_000, { decision: "deny", tool: "get-env", cause: "hidden" }));
    rows.push(decision(now - 4_000, { decision: "deny", tool: "get-env", cause: "hidden" }));
    rows.push(decision(now - 3_000, { decision: "deny", tool: "echo", rule: "echo rate limit" }));
    rows.push(decision(now - 3 * 3600_000, { decision: "deny", tool: "old" }));
    write(db, rows);
    const s = auditStats(
      testContext(db, viewer, () => new Date(now)),
      { minutes: 60 },
    );
    expect(s.calls).toBe(13);
    expect(s.denied).toBe(3);
    expect(s.denyRate).toBeCloseTo(3 / 13);
    expect(s.callsLastMinute).toBe(13);
    expect(s.upstreamErrors).toBe(1);
    expect(s.latencyP50Ms).toBe(50);
    expect(s.latencyP95Ms).toBe(100);
    expect(s.topDeniedTools).toEqual([
      { name: "get-env", count: 2 },
      { name: "echo", count: 1 },
    ]);
    expect(s.topDeniedRules).toEqual([{ name: "echo rate limit", count: 1 }]);
    expect(s.series).toHaveLength(60);
    expect(s.series.reduce((a, b) => a + b.calls, 0)).toBe(13);
  });
});

describe("exportAuditEvents", () => {
  it("streams CSV that spreadsheets cannot execute and records audit.export", () => {
    const db = createTestDb();
    write(db, [
      decision(Date.now(), { tool: '=HYPERLINK("http://evil")', reason: "+cmd|' /C calc'!A0" }),
    ]);
    const out = exportAuditEvents(testContext(db), { format: "csv", view: "decisions" });
    const text = [...out.lines].join("");
    expect(out.filename).toMatch(/\.csv$/);
    expect(text).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(text).toContain(`"'+cmd|' /C calc'!A0"`);
    expect(text.split("\n").filter(Boolean)).toHaveLength(2);
    const exportRow = db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "audit.export"))
      .get();
    expect(JSON.parse(exportRow?.detail ?? "{}")).toMatchObject({
      format: "csv",
      filters: { view: "decisions" },
    });
  });

  it("streams JSONL across batches", () => {
    const db = createTestDb();
    write(
      db,
      Array.from({ length: 2500 }, (_, i) => decision(Date.now() + i)),
    );
    const lines = [
      ...exportAuditEvents(testContext(db), { format: "jsonl", view: "decisions" }).lines,
    ];
    expect(lines).toHaveLength(2500);
    expect(JSON.parse(lines[0] ?? "{}").seq).toBe(1);
  });

  it("csvCell quotes and neutralises", () => {
    expect(csvCell("@SUM(1)")).toBe(`"'@SUM(1)"`);
    expect(csvCell("-1+2")).toBe(`"'-1+2"`);
    expect(csvCell(-5)).toBe(`"-5"`);
    expect(csvCell(null)).toBe("");
    expect(csvCell({ a: 1 })).toBe(`"{""a"":1}"`);
  });
});

describe("verifyAuditChain", () => {
  it("reports an intact chain and records audit.verify", async () => {
    const db = createTestDb();
    write(db, [decision(Date.now())]);
    const r = await verifyAuditChain(testContext(db, viewer));
    expect(r).toMatchObject({ ok: true, rows: 1 });
    expect(
      db.select().from(auditEvents).where(eq(auditEvents.action, "audit.verify")).all(),
    ).toHaveLength(1);
  });
});
