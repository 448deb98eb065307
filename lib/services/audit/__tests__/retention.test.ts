import { createHash, generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";

import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { createTestDb, testContext } from "@/lib/testing";
import { must } from "@/lib/testing/proxy";
import { withTransaction } from "../../context";
import { appendEvents } from "../append";
import { verifyArchive } from "../archive-file";
import { type AuditFields, GENESIS_HASH } from "../chain";
import { listCheckpoints } from "../checkpoints";
import { catchUpIndex } from "../indexer";
import { verifyIntegrity } from "../integrity";
import { auditIntegrityStatus } from "../integrity-status";
import {
  type AuditIntegritySettings,
  checkpointNow,
  integritySettings,
  retainNow,
  startAuditMaintenance,
  systemContext,
} from "../maintenance";
import { listAuditEvents } from "../list";
import { runRetention } from "../retention";
import { verifyAuditChain } from "../verify-report";
import {
  loadSigningKey,
  localTrustedKeys,
  parsePublicKeys,
  publicKeyPem,
  trustedKeysPem,
} from "../signing-key";

const DAY = 86_400_000;
let dir: string;
let file: string;
let db: Db;
let settings: AuditIntegritySettings;
let n = 0;

function rows(count: number, at: number): AuditFields[] {
  return Array.from({ length: count }, () => ({
    id: `evt_r${++n}`,
    occurredAt: at,
    source: "gateway",
    actorType: "agent",
    actorId: "agt_1",
    actorLabel: "demo-agent",
    action: "tool_call.decide",
    server: "everything",
    tool: "echo",
    decision: n % 3 ? "allow" : "deny",
  }));
}

const write = (count: number, at: number) =>
  withTransaction({ db }, (tx) => appendEvents(tx, rows(count, at)));

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-retention-"));
  file = path.join(dir, "portcullis.db");
  db = createTestDb(file);
  settings = integritySettings({
    PORTCULLIS_DB: file,
    PORTCULLIS_AUDIT_CHECKPOINT_ROWS: 100,
    PORTCULLIS_AUDIT_CHECKPOINT_MINUTES: 10,
    PORTCULLIS_AUDIT_RETENTION_DAYS: 30,
  });
});

afterEach(() => {
  db.$client.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("signed checkpoints", () => {
  it("creates a 0600 key beside the database and signs what an outsider verifies with the public key", async () => {
    write(10, Date.now());
    const out = await checkpointNow(db, settings, "manual");
    expect(out).toMatchObject({ written: { seq: 10, alg: "Ed25519" } });
    const keyFile = path.join(dir, "audit-signing.key");
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(keyFile, "utf8")).toMatch(/BEGIN PRIVATE KEY/);

    const witness = parsePublicKeys(trustedKeysPem(settings.keySource), "witness.pem");
    const exported = listCheckpoints(db);
    fs.rmSync(keyFile); // the verifier never holds the private key
    expect(verifyIntegrity(db, { keys: witness, external: exported })).toMatchObject({
      ok: true,
      rows: 10,
      lastCheckpoint: { seq: 10, inDatabase: true },
    });
    const forged = { ...must(exported[0]), seq: 9 };
    expect(verifyIntegrity(db, { keys: witness, external: [forged] })).toMatchObject({
      ok: false,
      why: expect.stringMatching(/bad signature/),
    });
    const otherKey = parsePublicKeys(
      publicKeyPem(generateKeyPairSync("ed25519").publicKey),
      "other.pem",
    );
    expect(verifyIntegrity(db, { keys: otherKey })).toMatchObject({
      ok: false,
      why: expect.stringMatching(/not a trusted key/),
    });
  });

  it("writes one every N rows from the background task, never for an unchanged head", async () => {
    write(50, Date.now());
    const task = startAuditMaintenance(db, { ...settings, retentionDays: 0 }, () => {}, 20);
    await new Promise((r) => setTimeout(r, 120));
    expect(listCheckpoints(db).map((c) => c.seq)).toEqual([50]); // the first one seals what exists
    write(60, Date.now());
    await new Promise((r) => setTimeout(r, 120));
    expect(listCheckpoints(db).map((c) => c.seq)).toEqual([50]); // 60 < 100 rows, 10 min not up
    write(40, Date.now());
    await new Promise((r) => setTimeout(r, 120));
    await task.stop();
    expect(listCheckpoints(db).map((c) => [c.seq, c.reason])).toEqual([
      [50, "auto"],
      [150, "auto"],
    ]);
  });

  it("refuses to sign a chain broken since the last checkpoint", async () => {
    write(5, Date.now());
    await checkpointNow(db, settings, "auto");
    write(5, Date.now());
    const raw = new Database(file);
    raw.exec(
      "DROP TRIGGER audit_events_no_update; UPDATE audit_events SET reason = 'x' WHERE seq = 8",
    );
    raw.close();
    expect(await checkpointNow(db, settings, "auto")).toMatchObject({
      refused: expect.stringMatching(/row 8 was edited/),
    });
    expect(listCheckpoints(db)).toHaveLength(1);
  });
});

describe("retention", () => {
  it("archives old rows with their checkpoint, removes them, and verifies from the boundary", async () => {
    const now = Date.now();
    write(120, now - 45 * DAY);
    write(80, now - 31 * DAY);
    write(30, now - 2 * DAY);
    catchUpIndex(db);
    const rollups = () => db.$client.prepare("SELECT sum(calls) FROM audit_rollups").pluck().get();
    const rolledUpBefore = rollups();
    await checkpointNow(db, settings, "auto"); // a checkpoint inside what will be archived
    const ctx = systemContext(db, "audit-retention");
    const key = must(loadSigningKey(settings.keySource, true));
    const result = await runRetention(ctx, {
      days: 30,
      archiveDir: settings.archiveDir,
      key,
      trusted: localTrustedKeys(settings.keySource),
      maxRowsPerFile: 150,
    });
    expect(result.archives.map((a) => [a.fromSeq, a.toSeq])).toEqual([
      [1, 150],
      [151, 200],
    ]);
    expect(result.archives.map((a) => path.basename(a.file))).toEqual([
      "audit-archive-1-150.jsonl.gz",
      "audit-archive-151-200.jsonl.gz",
    ]);
    const sql = db.$client;
    expect(
      sql.prepare("SELECT min(seq) AS lo, max(seq) AS hi, count(*) AS n FROM audit_events").get(),
    ).toEqual({ lo: 201, hi: 232, n: 32 });
    // The search index keeps the removed rows' entries (deleting them in the purge slices held
    // the write lock far longer), but a query through it joins back to the log and shows none;
    // the rollups still count them.
    expect(sql.prepare("SELECT count(*) FROM audit_search").pluck().get()).toBe(230);
    const denied = listAuditEvents(testContext(db), { decision: "deny", limit: 100 });
    expect(denied.rows.length).toBeGreaterThan(0);
    expect(denied.rows.every((r) => r.seq > 200)).toBe(true);
    expect(rollups()).toBe(rolledUpBefore);
    // The run audited itself, once per archive, before the rows left.
    const runs = sql
      .prepare(
        "SELECT target_id, detail FROM audit_events WHERE action = 'audit.archive' ORDER BY seq",
      )
      .all() as { target_id: string; detail: string }[];
    expect(runs.map((r) => r.target_id)).toEqual([
      "audit-archive-1-150.jsonl.gz",
      "audit-archive-151-200.jsonl.gz",
    ]);
    expect(JSON.parse(must(runs[0]).detail)).toMatchObject({
      after: { fromSeq: 1, toSeq: 150, rows: 150, retentionDays: 30 },
    });

    const keys = localTrustedKeys(settings.keySource);
    expect(verifyIntegrity(db, { keys })).toMatchObject({
      ok: true,
      boundarySeq: 200,
      rows: 32,
      headSeq: 232,
    });
    // Each archive stands on its own with the public key, and the second starts where the first ends.
    const [a1, a2] = await Promise.all(result.archives.map((a) => verifyArchive(a.file, keys)));
    expect(a1).toMatchObject({ ok: true, rows: 150, end: { seq: 150 } });
    expect(a2).toMatchObject({ ok: true, rows: 50, header: { start: { seq: 150 } } });
    if (!a1?.ok || !a2?.ok) throw new Error("archives should verify");
    expect(a2.header.start.hash).toBe(a1.end.hash);
    expect(a2.header.startCheckpoint).toMatchObject({ seq: 150, hash: a1.end.hash });

    // What the console's integrity panel shows, to any signed-in user.
    const viewer = { type: "user", userId: "u", label: "v@x", role: "viewer" } as const;
    expect(auditIntegrityStatus(testContext(db, viewer), settings)).toMatchObject({
      keyId: key.keyId,
      lastCheckpoint: { seq: 230, reason: "auto" },
      schedule: { everyRows: 100, everyMinutes: 10 },
      retention: { days: 30, archives: 2, archivedThrough: 200 },
      firstSeq: 201,
      headSeq: 232,
    });
    expect(() => auditIntegrityStatus(testContext(db, { type: "anonymous" }), settings)).toThrow(
      /Sign in/,
    );

    // New rows keep the chain; a checkpoint after retention starts from the boundary.
    write(5, now);
    expect(await checkpointNow(db, settings, "manual")).toMatchObject({ written: { seq: 237 } });
    expect(verifyIntegrity(db, { keys })).toMatchObject({ ok: true, rows: 37, boundarySeq: 200 });

    // Raw deletes still fail, archived or not.
    const raw = new Database(file);
    expect(() => raw.exec("DELETE FROM audit_events WHERE seq = 201")).toThrow(/append-only/);
    expect(() => raw.exec("DELETE FROM audit_archives")).toThrow(/append-only/);
    expect(() =>
      raw.exec(
        "INSERT INTO audit_purge (to_seq) VALUES (200); DELETE FROM audit_events WHERE seq = 201",
      ),
    ).toThrow(/append-only/);
    raw.close();
  });

  it("names rows removed at the start without an archive, and an edited archive", async () => {
    const now = Date.now();
    write(40, now - 40 * DAY);
    write(10, now);
    const result = await retainNow(db, settings);
    expect(result?.archives).toHaveLength(1);
    const archive = must(result?.archives[0]);

    const raw = new Database(file);
    raw.exec(
      "DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events WHERE seq BETWEEN 41 AND 43",
    );
    raw.close();
    const keys = localTrustedKeys(settings.keySource);
    expect(verifyIntegrity(db, { keys })).toMatchObject({
      ok: false,
      why: expect.stringMatching(/rows 41–43 are missing \(deleted\)/),
    });

    const lines = zlib.gunzipSync(fs.readFileSync(archive.file)).toString("utf8").split("\n");
    const original = [...lines];
    lines[5] = JSON.stringify({ ...JSON.parse(must(lines[5])), tool: "delete_everything" });
    const edited = path.join(dir, "edited.jsonl.gz");
    fs.writeFileSync(edited, zlib.gzipSync(lines.join("\n")));
    expect(await verifyArchive(edited, keys)).toMatchObject({
      ok: false,
      why: expect.stringMatching(/row 5 was edited/),
    });
    const cut = path.join(dir, "cut.jsonl.gz");
    fs.writeFileSync(cut, zlib.gzipSync(original.slice(0, 20).join("\n")));
    expect(await verifyArchive(cut, keys)).toMatchObject({
      ok: false,
      why: expect.stringMatching(/no closing checkpoint/),
    });
  });

  it("lets no row be cut out of the middle under a forged archive record, and verify names the cut", async () => {
    write(60, Date.now());
    const cp = await checkpointNow(db, settings, "auto");
    const seq = cp && "written" in cp ? cp.written.seq : 0;
    expect(seq).toBe(60);
    const raw = new Database(file);
    // An archive record claiming rows 1..60, as retention would write it, but with no file.
    raw
      .prepare(
        `INSERT INTO audit_archives (from_seq, to_seq, rows, first_at, last_at, file, file_sha256,
           bytes, start_hash, end_hash, checkpoint_id, created_at)
         SELECT 1, c.seq, c.seq, 0, 0, 'none', 'none', 0, ?, c.hash, c.id, 0
         FROM audit_checkpoints c WHERE c.seq = ?`,
      )
      .run(GENESIS_HASH, seq);
    raw.prepare("INSERT INTO audit_purge VALUES (?)").run(seq);
    const cut = "DELETE FROM audit_events WHERE seq BETWEEN 10 AND 20";
    expect(() => raw.exec(cut)).toThrow(/append-only/);
    raw.exec(`DROP TRIGGER audit_events_no_delete; ${cut}; DELETE FROM audit_purge`);
    raw.close();
    expect(verifyIntegrity(db, { keys: localTrustedKeys(settings.keySource) })).toMatchObject({
      ok: false,
      why: "rows between 1 and 60 are missing (deleted): only the oldest archived rows may be removed",
    });
  });

  it("finishes a purge that stopped part-way; the chain verifies in between", async () => {
    write(5_000, Date.now() - 40 * DAY);
    write(10, Date.now());
    const sql = db.$client;
    const prepare = sql.prepare.bind(sql);
    let slices = 0;
    sql.prepare = ((text: string) => {
      if (text.startsWith("DELETE FROM audit_events") && ++slices > 1) {
        throw new Error("process stopped");
      }
      return prepare(text);
    }) as typeof sql.prepare;
    await expect(retainNow(db, settings)).rejects.toThrow(/process stopped/);
    sql.prepare = prepare;
    const left = () =>
      (sql.prepare("SELECT min(seq) AS lo FROM audit_events").get() as { lo: number }).lo;
    expect(left()).toBe(2_001); // one slice of 2,000 went before the stop
    const keys = localTrustedKeys(settings.keySource);
    expect(verifyIntegrity(db, { keys })).toMatchObject({ ok: true, boundarySeq: 5_000 });
    expect(await retainNow(db, settings)).toMatchObject({ archives: [] });
    expect(left()).toBe(5_001);
    expect(verifyIntegrity(db, { keys })).toMatchObject({ ok: true, boundarySeq: 5_000, rows: 11 });
  });

  it("lets one of two runs racing for the same rows archive them; the file on disk is the recorded one", async () => {
    write(5_000, Date.now() - 40 * DAY);
    write(10, Date.now());
    const runs = await Promise.allSettled([retainNow(db, settings), retainNow(db, settings)]);
    const archived = runs.flatMap((r) =>
      r.status === "fulfilled" ? (r.value?.archives ?? []) : [],
    );
    expect(archived).toHaveLength(1);
    const loser = runs.find((r) => r.status === "rejected" || r.value?.archives.length === 0);
    if (loser?.status === "rejected") {
      expect(String(loser.reason)).toMatch(/another retention run/);
    }
    const recorded = db.$client
      .prepare("SELECT file, file_sha256 AS sha256, bytes FROM audit_archives")
      .all() as { file: string; sha256: string; bytes: number }[];
    expect(recorded).toHaveLength(1);
    const [only] = recorded;
    // No temporary file is left behind, and the named file is the bytes the database vouches for.
    expect(fs.readdirSync(settings.archiveDir)).toEqual([only?.file]);
    const onDisk = fs.readFileSync(path.join(settings.archiveDir, must(only).file));
    expect(createHash("sha256").update(onDisk).digest("hex")).toBe(only?.sha256);
    expect(onDisk.length).toBe(only?.bytes);
    const keys = localTrustedKeys(settings.keySource);
    expect(verifyIntegrity(db, { keys })).toMatchObject({ ok: true, boundarySeq: 5_000, rows: 11 });
  });

  it("checks each recorded archive against its file: a missing file is named, a changed one fails", async () => {
    write(300, Date.now() - 40 * DAY);
    write(10, Date.now());
    const result = await runRetention(systemContext(db, "audit-retention"), {
      days: 30,
      archiveDir: settings.archiveDir,
      key: must(loadSigningKey(settings.keySource, true)),
      trusted: localTrustedKeys(settings.keySource),
      maxRowsPerFile: 200,
    });
    const [first, second] = result.archives.map((a) => a.file);
    const sources = { keySource: settings.keySource, archiveDir: settings.archiveDir };
    const viewer = { type: "user", userId: "u", label: "v@x", role: "viewer" } as const;
    const verify = () => verifyAuditChain(testContext(db, viewer), sources);
    expect(await verify()).toMatchObject({
      ok: true,
      boundarySeq: 300,
      archives: { recorded: 2, matched: 2, missing: [], differ: [] },
    });
    // Kept elsewhere (or removed): named, and the rest still holds.
    fs.renameSync(must(first), path.join(dir, "offsite.jsonl.gz"));
    expect(await verify()).toMatchObject({
      ok: true,
      archives: {
        matched: 1,
        missing: [{ file: "audit-archive-1-200.jsonl.gz", fromSeq: 1, toSeq: 200 }],
      },
    });
    // Replaced by another file of the same size: the hash tells.
    const bytes = fs.readFileSync(must(second));
    bytes[bytes.length - 5] = (bytes.at(-5) ?? 0) ^ 0xff;
    fs.writeFileSync(must(second), bytes);
    expect(await verify()).toMatchObject({
      ok: false,
      brokenIn: "archive",
      brokenSeq: 201,
      why: expect.stringMatching(
        /archive file audit-archive-201-300\.jsonl\.gz \(rows 201–300\) is not the one recorded: its SHA-256/,
      ),
    });
    // The verdict is recorded, reason and all.
    const recorded = db.$client
      .prepare("SELECT reason FROM audit_events WHERE action = 'audit.verify' ORDER BY seq DESC")
      .pluck()
      .get();
    expect(recorded).toMatch(/not the one recorded/);
  });

  it("names a prefix dropped under a forged archive record with no file, and never follows a path a record makes up", async () => {
    write(60, Date.now());
    expect(await checkpointNow(db, settings, "auto")).toMatchObject({ written: { seq: 60 } });
    write(5, Date.now());
    const raw = new Database(file);
    const forge = raw.prepare(
      `INSERT INTO audit_archives (from_seq, to_seq, rows, first_at, last_at, file, file_sha256,
         bytes, start_hash, end_hash, checkpoint_id, created_at)
       SELECT 1, c.seq, c.seq, 0, 0, ?, 'none', 0, ?, c.hash, c.id, 0
       FROM audit_checkpoints c WHERE c.seq = 60`,
    );
    // Exactly what retention records, minus the file: the database alone cannot tell.
    forge.run("audit-archive-1-60.jsonl.gz", GENESIS_HASH);
    raw.prepare("INSERT INTO audit_purge VALUES (60)").run();
    raw.exec("DELETE FROM audit_events WHERE seq <= 60; DELETE FROM audit_purge");
    raw.close();
    const keys = localTrustedKeys(settings.keySource);
    expect(verifyIntegrity(db, { keys })).toMatchObject({ ok: true, boundarySeq: 60 });
    const sources = { keySource: settings.keySource, archiveDir: settings.archiveDir };
    const verdict = await verifyAuditChain(testContext(db), sources);
    expect(verdict).toMatchObject({
      ok: true,
      archives: { recorded: 1, matched: 0, missing: [{ fromSeq: 1, toSeq: 60 }] },
    });
    // A record naming a path outside the folder is a problem, not a file to open.
    fs.writeFileSync(path.join(dir, "outside.jsonl.gz"), "x");
    const hacked = new Database(file);
    hacked.exec("DROP TRIGGER IF EXISTS audit_archives_no_update");
    hacked.prepare("UPDATE audit_archives SET file = '../outside.jsonl.gz'").run();
    hacked.close();
    expect(await verifyAuditChain(testContext(db), sources)).toMatchObject({
      ok: false,
      why: expect.stringMatching(/is not the one recorded: its recorded name is not an archive/),
    });
  });

  it("keeps every row younger than the retention age and does nothing when none is older", async () => {
    write(20, Date.now() - DAY);
    expect(await retainNow(db, settings)).toMatchObject({ archives: [] });
    expect(await retainNow(db, { ...settings, retentionDays: 0 })).toBeNull();
    expect(db.$client.prepare("SELECT count(*) AS n FROM audit_events").get()).toEqual({ n: 20 });
  });
});
