import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { sqliteHandle } from "@/db/client";
import { newId } from "@/lib/core/ids";
import { createTestDb } from "@/lib/testing";
import { withTransaction } from "../../context";
import { appendEvents } from "../append";
import { type AuditFields, GENESIS_HASH } from "../chain";
import { walkChain, walkChainAsync } from "../chain-walk";
import { walkInParallel } from "../chain-walk-parallel";
import { verifyChain } from "../verify";

const row = (i: number, over: Partial<AuditFields> = {}): AuditFields => ({
  id: newId("event"),
  occurredAt: 1_700_000_000_000 + i,
  source: "gateway",
  actorType: "agent",
  actorId: "agt_1",
  actorLabel: 'bot "quoted" é ✓',
  action: "tool_call.decide",
  server: "everything",
  tool: "echo",
  decision: i % 2 ? "allow" : "deny",
  arguments: JSON.stringify({ message: `line ${i}\n\ttab \u0001 \u2028` }),
  latencyMs: i % 3 ? null : i,
  ...over,
});

const start = { seq: 0, hash: GENESIS_HASH, rows: 0 };

describe("fast chain walk", () => {
  it("accepts exactly the rows the canonical hash accepts, with progress", async () => {
    const db = createTestDb();
    withTransaction({ db }, (tx) =>
      appendEvents(tx, [
        ...Array.from({ length: 120 }, (_, i) => row(i)),
        // SQLite writes this REAL as 1.0e+21, JSON.stringify as 1e+21: the slow check decides.
        row(120, { latencyMs: 1e21, resultBytes: 0.5 }),
        row(121),
      ]),
    );
    const seen: [number, number][] = [];
    const walked = walkChain(db, start, { onProgress: (d, t) => seen.push([d, t]) });
    expect(walked).toMatchObject({ rows: 122, seq: 122, stoppedAt: null });
    expect(seen.at(-1)).toEqual([122, 122]);
    expect(await walkChainAsync(db, start)).toEqual(walked);
    expect(verifyChain(db)).toMatchObject({ ok: true, rows: 122, headHash: walked.hash });
  });

  it("stops at an edited row, a broken link and a checkpoint the chain does not pass through", () => {
    const db = createTestDb();
    withTransaction({ db }, (tx) =>
      appendEvents(
        tx,
        Array.from({ length: 50 }, (_, i) => row(i)),
      ),
    );
    const client = sqliteHandle(db);
    const hashAt = (seq: number) =>
      client.prepare("SELECT hash FROM audit_events WHERE seq = ?").pluck().get(seq) as string;
    expect(walkChain(db, start, { checkpoints: new Map([[20, "0".repeat(64)]]) }).stoppedAt).toBe(
      20,
    );
    expect(walkChain(db, start, { checkpoints: new Map([[20, hashAt(20)]]) }).stoppedAt).toBeNull();
    client.exec("DROP TRIGGER IF EXISTS audit_events_no_update");
    client.prepare("UPDATE audit_events SET reason = 'edited' WHERE seq = 31").run();
    expect(walkChain(db, start)).toMatchObject({ stoppedAt: 31, rows: 30, seq: 30 });
    expect(verifyChain(db)).toMatchObject({ ok: false, brokenSeq: 31 });
    client.prepare("UPDATE audit_events SET reason = NULL, prev_hash = 'x' WHERE seq = 31").run();
    expect(walkChain(db, start).stoppedAt).toBe(31);
  });
});

describe("chain walk on two threads", () => {
  it("joins the parts into the single walk's result, and hands a bad row back to it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-walk-"));
    const db = createTestDb(path.join(dir, "audit.db"));
    try {
      withTransaction({ db }, (tx) =>
        appendEvents(
          tx,
          Array.from({ length: 3000 }, (_, i) => row(i)),
        ),
      );
      let rows = 0;
      const alone = walkChain(db, start);
      expect(await walkInParallel(db, start, 3000, undefined, (n) => (rows += n), 0)).toEqual(
        alone,
      );
      expect(rows).toBe(3000);
      expect(await walkInParallel(db, start, 3000, undefined, () => {}, 10_000)).toBeNull();
      const client = sqliteHandle(db);
      client.exec("DROP TRIGGER IF EXISTS audit_events_no_update");
      for (const seq of [2500, 1501, 700]) {
        client.prepare("UPDATE audit_events SET tool = 'edited' WHERE seq = ?").run(seq);
        const single = walkChain(db, start);
        expect(single.stoppedAt).toBe(seq);
        expect(await walkInParallel(db, start, 3000, undefined, () => {}, 0)).toEqual(single);
      }
    } finally {
      db.$client.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
