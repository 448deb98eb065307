import { describe, expect, it } from "vitest";

import { sqliteHandle } from "@/db/client";
import type { AuditEvent } from "@/db/schema";
import { createTestDb, testContext } from "@/lib/testing";
import { appendRows, decisionRow } from "@/lib/testing/audit-rows";
import type { AuditFields } from "../chain";
import { EVENT_COLUMNS } from "../matching";
import { exportAuditEvents, toAuditEventView } from "../queries";

describe("JSONL export for editors and admins", () => {
  it("writes each row as its view, whatever the stored text holds", () => {
    const db = createTestDb();
    const odd: Partial<AuditFields>[] = [
      { arguments: JSON.stringify({ path: '/tmp/é ✓ "q" \\ \n\t\u0001', n: [1, 2.5, -3, null] }) },
      { arguments: "not json {", detail: "also not json" },
      { arguments: null, detail: JSON.stringify({ before: null, after: { a: 1 } }), latencyMs: 42 },
      { arguments: JSON.stringify("a string"), resultBytes: 0, reason: "line\u2028sep" },
      { occurredAt: 1_700_000_000_007, actorLabel: null, server: null },
    ];
    appendRows(
      db,
      odd.map((over, i) => decisionRow({ occurredAt: 1_700_000_000_000 + i * 1001, ...over })),
    );
    const ctx = testContext(db);
    const lines = [...exportAuditEvents(ctx, { format: "jsonl" }).lines];
    const rows = sqliteHandle(db)
      .prepare(
        `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE action = 'tool_call.decide' ORDER BY seq`,
      )
      .all() as AuditEvent[];
    const exported = lines.map((l) => JSON.parse(l) as { action: string });
    expect(exported.filter((l) => l.action === "tool_call.decide")).toEqual(
      rows.map((r) => JSON.parse(JSON.stringify(toAuditEventView(r, "admin")))),
    );
    expect(lines.every((l) => l.endsWith("}\n") && !l.slice(0, -1).includes("\n"))).toBe(true);
  });
});
