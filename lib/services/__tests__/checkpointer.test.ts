import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterEach, expect, it } from "vitest";

import { openMigratedDb } from "@/db/client";
import { MIGRATIONS } from "@/lib/testing/db";
import { startCheckpointer } from "../checkpointer";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

it("keeps the WAL short from a worker thread while the handle itself no longer checkpoints", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-ckpt-"));
  dirs.push(dir);
  const file = path.join(dir, "db.sqlite");
  const db = openMigratedDb(file, MIGRATIONS);
  const checkpointer = startCheckpointer(db, 50);
  expect(db.$client.pragma("wal_autocheckpoint", { simple: true })).toBe(20_000);
  db.$client.exec("CREATE TABLE filler (x TEXT)");
  const insert = db.$client.prepare("INSERT INTO filler VALUES (?)");
  for (let i = 0; i < 3_000; i++) insert.run("x".repeat(500));
  const grown = fs.statSync(`${file}-wal`).size;
  // A passive checkpoint copies the log into the database; the next writer then reuses it.
  await new Promise((r) => setTimeout(r, 300));
  const copied = fs.statSync(file).size;
  expect(copied).toBeGreaterThan(1_000_000);
  await checkpointer.stop();
  await checkpointer.stop();
  expect(grown).toBeGreaterThan(0);
  db.$client.close();
});

it("does nothing for an in-memory database", async () => {
  const db = openMigratedDb(":memory:", MIGRATIONS);
  await startCheckpointer(db).stop();
  db.$client.close();
});
