import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { createTestDb } from "@/lib/testing";
import { appendEvent } from "../append";
import { GENESIS_HASH, normalizeRow, rowHash } from "../chain";
import { writeCheckpoint } from "../auto-checkpoint";
import { verifyIntegrity } from "../integrity";
import { loadSigningKey, localTrustedKeys, parsePublicKeys, trustedKeysPem } from "../signing-key";
import { fromSql, verifyChain } from "../verify";

let dir: string;
let file: string;
let db: Db;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-append-only-"));
  file = path.join(dir, "audit.db");
  db = createTestDb(file);
  for (let i = 0; i < 5; i++) {
    appendEvent(db, {
      occurredAt: Date.now(),
      source: "system",
      actorType: "system",
      action: "policy.update",
      reason: `change ${i + 1}`,
    });
  }
});

afterEach(() => {
  db.$client.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const COLS = "seq, id, occurred_at, source, actor_type, action, reason, prev_hash, hash";
const forged = (seq: number, id = "evt_forged") =>
  `(${seq}, '${id}', 1, 'system', 'system', 'policy.update', 'forged', 'x', 'y')`;

/** A handle that set no pragma at all: recursive_triggers is off, as it is by default. */
function rawHandle() {
  const raw = new Database(file);
  expect(raw.pragma("recursive_triggers", { simple: true })).toBe(0);
  return raw;
}

describe("append-only triggers", () => {
  const attempts: [string, string][] = [
    [
      "INSERT OR REPLACE on seq",
      `INSERT OR REPLACE INTO audit_events (${COLS}) VALUES ${forged(2)}`,
    ],
    ["REPLACE INTO", `REPLACE INTO audit_events (${COLS}) VALUES ${forged(3)}`],
    [
      "UPSERT on seq",
      `INSERT INTO audit_events (${COLS}) VALUES ${forged(2)} ON CONFLICT(seq) DO UPDATE SET reason = 'forged'`,
    ],
    [
      "UPSERT on id",
      `INSERT INTO audit_events (${COLS}) SELECT 99, id, 1, 'system', 'system', 'x', 'forged', 'x', 'y' FROM audit_events WHERE seq = 4 ON CONFLICT(id) DO UPDATE SET reason = 'forged'`,
    ],
    [
      "INSERT OR REPLACE on id at a new seq",
      `INSERT OR REPLACE INTO audit_events (${COLS}) SELECT 6, id, 1, 'system', 'system', 'x', 'forged', 'x', 'y' FROM audit_events WHERE seq = 1`,
    ],
    [
      "INSERT OR IGNORE over a row",
      `INSERT OR IGNORE INTO audit_events (${COLS}) VALUES ${forged(2)}`,
    ],
    ["insert into the middle", `INSERT INTO audit_events (${COLS}) VALUES ${forged(0)}`],
    [
      "insert without a seq",
      `INSERT INTO audit_events (${COLS.slice(5)}) VALUES ${forged(0).replace("(0, ", "(")}`,
    ],
    ["UPDATE OR REPLACE", "UPDATE OR REPLACE audit_events SET seq = 1 WHERE seq = 2"],
    ["UPDATE", "UPDATE audit_events SET reason = 'forged' WHERE seq = 2"],
    ["DELETE", "DELETE FROM audit_events WHERE seq = 1"],
    ["DELETE everything", "DELETE FROM audit_events"],
  ];

  it.each(attempts)("refuses %s on a connection without recursive_triggers", (_, sql) => {
    const raw = rawHandle();
    const before = raw.prepare("SELECT seq, id, reason, hash FROM audit_events ORDER BY seq").all();
    expect(() => raw.exec(sql)).toThrow(/append-only/);
    expect(
      raw.prepare("SELECT seq, id, reason, hash FROM audit_events ORDER BY seq").all(),
    ).toEqual(before);
    raw.close();
    expect(verifyChain(db)).toMatchObject({ ok: true, rows: 5 });
  });

  it("refuses a DELETE that names a purge without an archive behind it", () => {
    const raw = rawHandle();
    expect(() => raw.exec("INSERT INTO audit_purge (to_seq) VALUES (3)")).not.toThrow();
    expect(() => raw.exec("DELETE FROM audit_events WHERE seq <= 3")).toThrow(/append-only/);
    raw.close();
  });

  it("keeps checkpoints and policy history from being replaced", async () => {
    const key = loadSigningKey({ dbFile: file }, true);
    if (!key) throw new Error("no key");
    await writeCheckpoint(db, key, localTrustedKeys({ dbFile: file }), "manual", () => new Date());
    const raw = rawHandle();
    for (const sql of [
      "UPDATE audit_checkpoints SET seq = 1",
      "DELETE FROM audit_checkpoints",
      "INSERT OR REPLACE INTO audit_checkpoints (id, seq, hash, signed_at, key_id, signature, reason, created_at) SELECT id, 1, 'h', signed_at, key_id, signature, reason, created_at FROM audit_checkpoints",
    ]) {
      expect(() => raw.exec(sql), sql).toThrow(/append-only/);
    }
    raw.close();
  });

  it("policy_versions refuse REPLACE and UPSERT", () => {
    const raw = rawHandle();
    const cols = raw
      .prepare("SELECT name FROM pragma_table_info('policy_versions')")
      .all()
      .map((c) => (c as { name: string }).name);
    expect(cols).toEqual(expect.arrayContaining(["id", "policy_id", "version", "yaml"]));
    raw.pragma("foreign_keys = OFF");
    raw.exec(
      "INSERT INTO policy_versions (id, policy_id, version, yaml, author, created_at) VALUES ('pv_1', 'pol_1', 1, 'a', 'me', 0)",
    );
    for (const sql of [
      "INSERT OR REPLACE INTO policy_versions (id, policy_id, version, yaml, author, created_at) VALUES ('pv_1', 'pol_1', 1, 'b', 'me', 0)",
      "INSERT OR REPLACE INTO policy_versions (id, policy_id, version, yaml, author, created_at) VALUES ('pv_2', 'pol_1', 1, 'b', 'me', 0)",
      "INSERT INTO policy_versions (id, policy_id, version, yaml, author, created_at) VALUES ('pv_1', 'pol_1', 1, 'b', 'me', 0) ON CONFLICT(id) DO UPDATE SET yaml = 'b'",
    ]) {
      expect(() => raw.exec(sql), sql).toThrow(/immutable/);
    }
    expect(raw.prepare("SELECT yaml FROM policy_versions").all()).toEqual([{ yaml: "a" }]);
    raw.close();
  });
});

describe("a rewritten and recomputed chain", () => {
  /** What an attacker with the file can do: drop the guards, REPLACE a row, recompute every hash. */
  function replaceAndRecompute(seq: number) {
    const raw = new Database(file);
    raw.exec(
      "DROP TRIGGER audit_events_no_replace; DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;",
    );
    raw
      .prepare(
        `INSERT OR REPLACE INTO audit_events (${COLS}) SELECT seq, id, occurred_at, source, actor_type, action, 'nothing happened', prev_hash, hash FROM audit_events WHERE seq = ?`,
      )
      .run(seq);
    let prev = GENESIS_HASH;
    const rows = raw.prepare("SELECT * FROM audit_events ORDER BY seq").all() as Record<
      string,
      unknown
    >[];
    const update = raw.prepare("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?");
    for (const r of rows) {
      const row = fromSql(r);
      const hash = rowHash(prev, row.seq, normalizeRow(row));
      update.run(prev, hash, row.seq);
      prev = hash;
    }
    raw.close();
  }

  it("passes a plain hash check but not the signed checkpoint, verified with the public key only", async () => {
    const key = loadSigningKey({ dbFile: file }, true);
    if (!key) throw new Error("no key");
    const written = await writeCheckpoint(
      db,
      key,
      localTrustedKeys({ dbFile: file }),
      "auto",
      () => new Date(),
    );
    expect(written).toMatchObject({ written: { seq: 5, alg: "Ed25519" } });
    // The outside verifier holds only the exported public key, not the private key file.
    const witnessKeys = parsePublicKeys(trustedKeysPem({ dbFile: file }), "witness.pem");
    fs.rmSync(path.join(dir, "audit-signing.key"));

    replaceAndRecompute(2);
    expect(db.$client.prepare("SELECT reason FROM audit_events WHERE seq = 2").get()).toEqual({
      reason: "nothing happened",
    });
    expect(verifyChain(db)).toMatchObject({ ok: true, rows: 5 });
    const report = verifyIntegrity(db, { keys: witnessKeys });
    expect(report).toMatchObject({ ok: false, brokenSeq: 5 });
    expect(report.why).toMatch(/history differs from the signed checkpoint at 5/);
  });
});
