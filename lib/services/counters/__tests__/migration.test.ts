import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { MIGRATIONS_DIR, openMigratedDb } from "@/db/client";
import { rollingWindow } from "@/lib/core/policy";
import { readCounter, rollbackReservations } from "../counters";

const LEAN = "0014_counter_events_lean";
const KEYED = "0017_counter_events_keyed";

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A copy of the migrations folder that stops before `tag`. */
function migrationsBefore(tag: string): string {
  const out = path.join(dir, "migrations");
  fs.mkdirSync(path.join(out, "meta"), { recursive: true });
  const journal = JSON.parse(
    fs.readFileSync(path.join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8"),
  ) as { entries: { tag: string }[] };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  expect(at).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, at);
  fs.writeFileSync(path.join(out, "meta", "_journal.json"), JSON.stringify(journal));
  for (const e of journal.entries)
    fs.copyFileSync(path.join(MIGRATIONS_DIR, `${e.tag}.sql`), path.join(out, `${e.tag}.sql`));
  return out;
}

type OldRow = [key: string, at: number, amount: string, decisionId: string | null];

/**
 * A database migrated up to just before `tag`, holding `rows`: its file (closed) and what
 * `select` read from it before the next migration.
 */
function olderDatabase(tag: string, rows: OldRow[], select: string) {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-counters-migration-"));
  const file = path.join(dir, "db.sqlite");
  const old = openMigratedDb(file, migrationsBefore(tag));
  const insert = old.$client.prepare(
    "INSERT INTO counter_events (key, at, amount, decision_id) VALUES (?, ?, ?, ?)",
  );
  for (const row of rows) insert.run(...row);
  const before = old.$client.prepare(select).all();
  old.$client.close();
  return { file, before };
}

describe("counter_events without AUTOINCREMENT or a decision index", () => {
  it("keeps every reservation of an older database, and rollbacks still find them", () => {
    const now = Date.now();
    const { file, before } = olderDatabase(
      LEAN,
      [
        ["k", now - 1_000, "2", "evt_a"],
        ["k", now - 500, "3", "evt_b"],
        ["contact:1.2.3.4", now - 100, "1", null],
      ],
      "SELECT * FROM counter_events ORDER BY id",
    );

    const db = openMigratedDb(file, migrationsBefore(KEYED));
    const sql = db.$client;
    expect(sql.prepare("SELECT * FROM counter_events ORDER BY id").all()).toEqual(before);
    expect(
      sql.prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'counter_events'").pluck().all(),
    ).toEqual(
      expect.arrayContaining([
        "counter_events",
        "counter_events_key_at_amount_idx",
        "counter_events_at_idx",
      ]),
    );
    expect(
      sql
        .prepare("SELECT count(*) FROM sqlite_master WHERE name = 'counter_events_decision_idx'")
        .pluck()
        .get(),
    ).toBe(0);
    expect(
      sql
        .prepare("SELECT count(*) FROM sqlite_sequence WHERE name = 'counter_events'")
        .pluck()
        .get(),
    ).toBe(0);
    const window = rollingWindow(60_000, now);
    expect(readCounter(db, "k", window)).toBe("5");
    expect(rollbackReservations(db, "evt_b", now - 500)).toBe(1);
    expect(readCounter(db, "k", window)).toBe("2");
    sql.close();
  });
});

describe("counter_events keyed by (key, at, id) WITHOUT ROWID", () => {
  it("keeps every row of an older database in one b-tree; rollbacks find them with or without keys", () => {
    const now = Date.now();
    const { file, before } = olderDatabase(
      KEYED,
      [
        ["k", now - 1_000, "2", "evt_a"],
        ["k", now - 500, "3", "evt_b"],
        ["j", now - 500, "4", "evt_b"],
        // Two rows of one key at one millisecond: the old rowids keep them apart.
        ["contact:1.2.3.4", now - 100, "1", null],
        ["contact:1.2.3.4", now - 100, "1", null],
      ],
      "SELECT id, key, at, amount, decision_id FROM counter_events ORDER BY id",
    );

    const db = openMigratedDb(file, MIGRATIONS_DIR);
    const sql = db.$client;
    expect(
      sql.prepare("SELECT id, key, at, amount, decision_id FROM counter_events ORDER BY id").all(),
    ).toEqual(before);
    // One b-tree: no rowid table and no index beside the primary key.
    expect(
      sql
        .prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'counter_events' ORDER BY name")
        .pluck()
        .all(),
    ).toEqual(["counter_events"]);
    expect(
      sql.prepare("SELECT sql FROM sqlite_master WHERE name = 'counter_events'").pluck().get(),
    ).toMatch(/WITHOUT ROWID/);
    expect(() => sql.prepare("SELECT rowid FROM counter_events").all()).toThrow(/rowid/);

    const window = rollingWindow(60_000, now);
    expect(readCounter(db, "k", window)).toBe("5");
    expect(readCounter(db, "j", window)).toBe("4");
    // By the keys the decision reserved (what the proxy passes), then by a scan.
    expect(rollbackReservations(db, "evt_b", now - 500, ["k"])).toBe(1);
    expect(readCounter(db, "k", window)).toBe("2");
    expect(rollbackReservations(db, "evt_b", now - 500)).toBe(1);
    expect(readCounter(db, "j", window)).toBe("0");
    sql.close();
  });
});
