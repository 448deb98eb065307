import { afterEach, describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { createTestDb } from "@/lib/testing";
import { appendRows, decisionRow } from "@/lib/testing/audit-rows";
import { AuditHub, type LiveSubscriber } from "../live-hub";

const write = (db: Db, from: number, n: number) =>
  appendRows(
    db,
    Array.from({ length: n }, (_, i) =>
      decisionRow({
        arguments: JSON.stringify({ message: `call ${from + i}`, token: "secret-value" }),
      }),
    ),
  );

type Conn = LiveSubscriber & { seqs: number[]; texts: string[]; open: boolean };

function connection(userId: string, role: "viewer" | "admin", cursor: number): Conn {
  const c: Conn = {
    userId,
    role,
    cursor,
    seqs: [],
    texts: [],
    open: true,
    ready: () => c.open,
    send: (text) => {
      c.texts.push(text);
      for (const m of text.matchAll(/^id: (\d+)$/gm)) c.seqs.push(Number(m[1]));
      return true;
    },
  };
  return c;
}

const hubs: AuditHub[] = [];
afterEach(() => {
  for (const h of hubs.splice(0)) h.stop();
});

describe("one audit poller per process", () => {
  it("reads the table once per poll for fifty connections and gives each every row in order", () => {
    const db = createTestDb();
    write(db, 0, 3);
    const hub = new AuditHub(db, 60_000);
    hubs.push(hub);
    const conns = Array.from({ length: 50 }, (_, i) =>
      connection(`usr_${i % 5}`, i % 2 ? "viewer" : "admin", hub.head),
    );
    const leave = conns.map((c) => hub.subscribe(c));
    expect(hub.countFor("usr_0")).toBe(10);
    for (let round = 0; round < 4; round++) {
      write(db, 10 * round, 7);
      hub.poll();
    }
    expect(hub.reads).toEqual({ shared: 4, catchUp: 0 });
    const all = Array.from({ length: 28 }, (_, i) => i + 4);
    for (const c of conns) expect(c.seqs).toEqual(all);
    // Each role's text is built once per poll; viewers never get argument values.
    expect(conns[1]?.texts.join("")).not.toContain("secret-value");
    expect(conns[0]?.texts.join("")).toContain("secret-value");
    leave[0]?.();
    expect(hub.countFor("usr_0")).toBe(9);
    for (const l of leave) l();
    expect(hub.size).toBe(0);
  });

  it("lets a connection that resumed from an older row, or was full, catch up on its own", () => {
    const db = createTestDb();
    write(db, 0, 20);
    const hub = new AuditHub(db, 60_000);
    hubs.push(hub);
    const level = connection("usr_a", "admin", hub.head);
    const resumed = connection("usr_b", "admin", 5);
    const slow = connection("usr_c", "admin", hub.head);
    for (const c of [level, resumed, slow]) hub.subscribe(c);
    slow.open = false; // its buffer is full: skipped, not dropped
    write(db, 100, 4);
    hub.poll();
    slow.open = true;
    hub.poll();
    hub.poll();
    expect(level.seqs).toEqual([21, 22, 23, 24]);
    expect(resumed.seqs).toEqual(Array.from({ length: 19 }, (_, i) => i + 6));
    expect(slow.seqs).toEqual([21, 22, 23, 24]);
    expect(hub.reads.catchUp).toBeGreaterThan(0);
  });
});
