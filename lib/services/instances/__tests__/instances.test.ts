import { describe, expect, it } from "vitest";

import { instances } from "@/db/schema";
import { createTestDb } from "@/lib/testing";
import {
  createInstance,
  deleteInstance,
  heartbeatInstance,
  INSTANCE_STALE_MS,
  listLiveInstances,
} from "..";

const info = { kind: "gateway", pid: 42, host: "h", server: null, address: "http://x" } as const;

describe("instances", () => {
  it("lists a registered process while its heartbeat is fresh, and not after removal", () => {
    const db = createTestDb();
    const t0 = new Date("2026-01-01T00:00:00Z");
    const row = createInstance(db, info, t0);
    expect(row).toMatchObject({ ...info, startedAt: t0, heartbeatAt: t0 });
    const later = new Date(t0.getTime() + INSTANCE_STALE_MS + 1);
    expect(listLiveInstances(db, later)).toEqual([]);
    heartbeatInstance(db, row.id, later);
    expect(listLiveInstances(db, later).map((i) => i.id)).toEqual([row.id]);
    deleteInstance(db, row.id);
    expect(listLiveInstances(db, later)).toEqual([]);
  });

  it("prunes rows of processes that died without cleaning up", () => {
    const db = createTestDb();
    const t0 = new Date("2026-01-01T00:00:00Z");
    const dead = createInstance(db, { ...info, pid: 1 }, t0);
    const alive = createInstance(
      db,
      { ...info, pid: 2 },
      new Date(t0.getTime() + 10 * INSTANCE_STALE_MS + 1),
    );
    const all = db.select().from(instances).all();
    expect(all.map((i) => i.id)).toEqual([alive.id]);
    expect(all.map((i) => i.id)).not.toContain(dead.id);
  });
});
