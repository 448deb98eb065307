import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { auditEvents } from "@/db/schema";
import { MAX_STREAMS_PER_USER, StreamSlots } from "@/lib/services/streams";
import { createTestDb, testContext } from "@/lib/testing";

const as = (db: ReturnType<typeof createTestDb>, userId: string) =>
  testContext(db, { type: "user", userId, label: `${userId}@x`, role: "viewer" });

describe("live streams per user are capped", () => {
  it("refuses one stream over the cap with RATE_LIMITED and one audit row, and frees slots on release", () => {
    const db = createTestDb();
    const slots = new StreamSlots();
    const releases = Array.from({ length: MAX_STREAMS_PER_USER }, () =>
      slots.acquire(as(db, "usr_a")),
    );
    expect(() => slots.acquire(as(db, "usr_a"))).toThrow(
      expect.objectContaining({ code: "RATE_LIMITED" }),
    );
    const rows = db.select().from(auditEvents).where(eq(auditEvents.action, "stream.refuse")).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actorId: "usr_a", targetId: "usr_a" });
    expect(rows[0]?.detail).toContain(`"limit":${MAX_STREAMS_PER_USER}`);

    // Another user is not affected by the first one's streams.
    expect(() => slots.acquire(as(db, "usr_b"))).not.toThrow();

    // Releasing twice frees one slot, not two.
    releases[0]?.();
    releases[0]?.();
    expect(slots.held("usr_a")).toBe(MAX_STREAMS_PER_USER - 1);
    const again = slots.acquire(as(db, "usr_a"));
    expect(() => slots.acquire(as(db, "usr_a"))).toThrow(/live views open/);
    for (const r of [...releases, again]) r();
    expect(slots.held("usr_a")).toBe(0);
  });

  it("refuses anyone who is not a signed-in user", () => {
    const db = createTestDb();
    expect(() => new StreamSlots().acquire(testContext(db, { type: "anonymous" }))).toThrow(
      expect.objectContaining({ code: "UNAUTHENTICATED" }),
    );
  });
});
