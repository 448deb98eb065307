import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { beforeEach, describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { createTestDb, testContext } from "@/lib/testing";
import { appendAudit } from "../append";
import { checkpointIsAuthentic, signCheckpoint, verifyChain } from "../verify";
import { withTransaction } from "../../context";

let db: Db;

function addRows(n: number) {
  const ctx = testContext(db);
  for (let i = 0; i < n; i++) {
    withTransaction(ctx, (tx) =>
      appendAudit(tx, ctx, { action: "policy.update", target: { type: "policy", id: `p${i}` }, after: { i } }),
    );
  }
}

/** Bypasses the append-only triggers the way an attacker with the file could. */
function tamper(sql: string) {
  db.$client.exec("DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;");
  db.$client.exec(sql);
}

beforeEach(() => {
  db = createTestDb();
});

describe("audit chain", () => {
  it("verifies an intact chain", () => {
    addRows(5);
    expect(verifyChain(db)).toMatchObject({ ok: true, rows: 5, headSeq: 5 });
  });

  it("stores a lone surrogate an agent sent as U+FFFD, so the row still verifies", () => {
    addRows(1);
    const ctx = testContext(db);
    withTransaction(ctx, (tx) =>
      appendAudit(tx, ctx, { action: "policy.update", target: { type: "policy", id: "x\ud800" }, reason: "\udc00y" }),
    );
    addRows(1);
    expect(verifyChain(db)).toMatchObject({ ok: true, rows: 3 });
    const row = db.$client.prepare("SELECT target_id, reason FROM audit_events WHERE seq = 2").get();
    expect(row).toEqual({ target_id: "x\ufffd", reason: "\ufffdy" });
  });

  it("refuses UPDATE and DELETE through triggers", () => {
    addRows(1);
    expect(() => db.$client.exec("UPDATE audit_events SET reason = 'x'")).toThrow(/append-only/);
    expect(() => db.$client.exec("DELETE FROM audit_events")).toThrow(/append-only/);
  });

  it("detects an edited row", () => {
    addRows(3);
    tamper("UPDATE audit_events SET actor_label = 'mallory' WHERE seq = 2");
    expect(verifyChain(db)).toMatchObject({ ok: false, brokenSeq: 2, why: expect.stringMatching(/content/) });
  });

  it("detects a deleted row", () => {
    addRows(3);
    tamper("DELETE FROM audit_events WHERE seq = 2");
    expect(verifyChain(db)).toMatchObject({ ok: false, brokenSeq: 2 });
  });

  it("detects tail truncation only with a checkpoint", () => {
    addRows(4);
    const head = verifyChain(db);
    if (!head.ok) throw new Error("chain should be intact");
    const key = "k".repeat(32);
    const cp = signCheckpoint(head.headSeq, head.headHash, new Date(), key);
    expect(checkpointIsAuthentic(cp, key)).toBe(true);
    expect(checkpointIsAuthentic({ ...cp, seq: 3 }, key)).toBe(false);
    tamper("DELETE FROM audit_events WHERE seq = 4");
    expect(verifyChain(db).ok).toBe(true);
    expect(verifyChain(db, cp)).toMatchObject({ ok: false, why: expect.stringMatching(/truncated/) });
  });

  it("writes nothing for an update that changed nothing", () => {
    const ctx = testContext(db);
    const id = withTransaction(ctx, (tx) =>
      appendAudit(tx, ctx, { action: "policy.update", target: { type: "policy", id: "p" }, before: { a: 1 }, after: { a: 1 } }),
    );
    expect(id).toBeNull();
    expect(verifyChain(db)).toMatchObject({ ok: true, rows: 0 });
  });
});

describe("migrations", () => {
  it("several processes' handles migrate one new file together", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-mig-"));
    const file = path.join(dir, "db.sqlite");
    const { spawn } = await import("node:child_process");
    const script = `
      import { openMigratedDb } from "./db/client.ts";
      const db = openMigratedDb(process.argv[1], "db/migrations");
      console.log(db.$client.prepare("select version from config_version").get().version);`;
    const runs = Array.from({ length: 4 }, () =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const p = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, file], {
          cwd: path.resolve(import.meta.dirname, "../../../.."),
        });
        let out = "";
        p.stdout.on("data", (d: Buffer) => (out += d.toString()));
        p.stderr.on("data", (d: Buffer) => (out += d.toString()));
        p.on("close", (code) => resolve({ code, out }));
      }),
    );
    const results = await Promise.all(runs);
    for (const r of results) expect(r).toMatchObject({ code: 0, out: "1\n" });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
