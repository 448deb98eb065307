import { describe, expect, it } from "vitest";

import { sqliteHandle } from "@/db/client";
import { createTestDb, testContext } from "@/lib/testing";
import { appendRows, decisionRow } from "@/lib/testing/audit-rows";
import { WALK_STEP } from "../chain-walk";
import { verifyAuditChain } from "../queries";
import { verifyChain } from "../verify";
import { verifyAuditChainWithProgress } from "../verify-progress";

const viewer = { type: "user", userId: "u", label: "v@x", role: "viewer" } as const;

function seeded(n: number) {
  const db = createTestDb();
  for (let i = 0; i < n; i += 5000)
    appendRows(
      db,
      Array.from({ length: Math.min(5000, n - i) }, (_, j) =>
        decisionRow({ occurredAt: 1_700_000_000_000 + i + j }),
      ),
    );
  return db;
}

describe("Verify with progress", () => {
  it("reports rows checked step by step and ends with the same verdict as a plain verify", async () => {
    const n = WALK_STEP + 1234;
    const db = seeded(n);
    const ctx = testContext(db, viewer);
    const seen: [number, number][] = [];
    const result = await verifyAuditChainWithProgress(ctx, {}, (d, t) => seen.push([d, t]));
    expect(seen).toEqual([
      [WALK_STEP, n],
      [n, n],
    ]);
    expect(result).toMatchObject({ ok: true, rows: n, headSeq: n });
    // The plain verify also checks the audit.verify row the first one recorded.
    expect(await verifyAuditChain(ctx)).toMatchObject({ ok: true, rows: n + 1 });
  });

  it("names the same broken row as a plain verify, and never reuses a walk for another one", async () => {
    const db = seeded(300);
    const client = sqliteHandle(db);
    client.exec("DROP TRIGGER IF EXISTS audit_events_no_update");
    client.prepare("UPDATE audit_events SET tool = 'edited' WHERE seq = 120").run();
    const result = await verifyAuditChainWithProgress(testContext(db, viewer), {}, () => {});
    expect(result).toMatchObject({ ok: false, brokenSeq: 120, brokenIn: "log" });
    // A later verification walks again from the start: the offered prefix was taken once.
    expect(verifyChain(db, { to: 300 })).toMatchObject({ ok: false, brokenSeq: 120 });
  });
});
