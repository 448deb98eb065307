import { describe, expect, it } from "vitest";

import { newId } from "@/lib/core/ids";
import { createTestDb, testContext } from "@/lib/testing";
import { withTransaction } from "../../context";
import { appendEvents, countAuditRows, pageAuditRows } from "..";

const viewer = { type: "user", userId: "u", label: "v@x", role: "viewer" } as const;

describe("pageAuditRows and countAuditRows", () => {
  it("pages stored rows oldest first by filter, unmasked", () => {
    const db = createTestDb();
    const t = 1_700_000_000_000;
    withTransaction({ db }, (tx) =>
      appendEvents(
        tx,
        Array.from({ length: 25 }, (_, i) => ({
          id: newId("event"),
          occurredAt: t + i,
          source: "gateway" as const,
          actorType: "agent" as const,
          action: "tool_call.decide",
          decision: i % 5 === 0 ? "deny" : "allow",
          arguments: JSON.stringify({ token: "secret" }),
        })),
      ),
    );
    const ctx = testContext(db);
    const pages = [...pageAuditRows(ctx, {}, 10)];
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(pages.flat().map((r) => r.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(pages[0]?.[0]?.arguments).toBe('{"token":"secret"}');

    const window = { from: t + 5, to: t + 19, decision: "deny" } as const;
    expect([...pageAuditRows(ctx, window)].flat().map((r) => r.occurredAt - t)).toEqual([
      5, 10, 15,
    ]);
    expect(countAuditRows(ctx, window)).toBe(3);
    expect(countAuditRows(ctx, {})).toBe(25);
  });

  it("refuses viewers, who only get masked arguments", () => {
    const ctx = testContext(createTestDb(), viewer);
    expect(() => [...pageAuditRows(ctx, {})]).toThrow(/editor role/);
    expect(() => countAuditRows(ctx, {})).toThrow(/editor role/);
  });
});
