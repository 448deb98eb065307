import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";

import { auditEvents } from "@/db/schema";
import { AuditHub } from "@/lib/services/audit/live-hub";
import { admitStream, MAX_STREAMS_PER_USER } from "@/lib/services/streams";
import { createTestDb, testContext } from "@/lib/testing";

const db = createTestDb();
const hub = new AuditHub(db, 5);
const as = (userId: string) =>
  testContext(db, { type: "user", userId, label: `${userId}@x`, role: "viewer" });

/** What the stream route does: admit against the hub's count, then subscribe. */
function openStream(userId: string): () => void {
  admitStream(as(userId), hub.countFor(userId));
  return hub.subscribe({ userId, role: "viewer", cursor: 0, send: () => true, ready: () => true });
}

const leaves: (() => void)[] = [];
afterEach(() => {
  for (const leave of leaves.splice(0)) leave();
});

describe("live streams per user are capped", () => {
  it("refuses one stream over the cap with RATE_LIMITED and one audit row; other users are unaffected", () => {
    for (let i = 0; i < MAX_STREAMS_PER_USER; i++) leaves.push(openStream("usr_a"));
    expect(() => openStream("usr_a")).toThrow(expect.objectContaining({ code: "RATE_LIMITED" }));
    expect(hub.countFor("usr_a")).toBe(MAX_STREAMS_PER_USER);
    const rows = db.select().from(auditEvents).where(eq(auditEvents.action, "stream.refuse")).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actorId: "usr_a",
      targetId: "usr_a",
      reason: "too many live streams",
    });
    expect(rows[0]?.detail).toContain(`"limit":${MAX_STREAMS_PER_USER}`);
    expect(() => leaves.push(openStream("usr_b"))).not.toThrow();
  });

  it("a closed stream frees its slot", () => {
    for (let i = 0; i < MAX_STREAMS_PER_USER; i++) leaves.push(openStream("usr_c"));
    leaves.shift()?.();
    expect(() => leaves.push(openStream("usr_c"))).not.toThrow();
    expect(() => openStream("usr_c")).toThrow(/live views open/);
  });

  it("refuses anyone who is not a signed-in user", () => {
    expect(() => admitStream(testContext(db, { type: "anonymous" }), 0)).toThrow(
      expect.objectContaining({ code: "UNAUTHENTICATED" }),
    );
  });
});
