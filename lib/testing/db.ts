import path from "node:path";

import { type Db, MIGRATIONS_DIR, openMigratedDb } from "@/db/client";
import { newId } from "@/lib/core/ids";
import type { Actor, ServiceContext } from "@/lib/services/context";

export const REPO_ROOT = path.resolve(import.meta.dirname, "..", "..");
export const MIGRATIONS = path.join(REPO_ROOT, MIGRATIONS_DIR);

/** A migrated private database; a few milliseconds. */
export function createTestDb(file = ":memory:"): Db {
  return openMigratedDb(file, MIGRATIONS);
}

export function testContext(
  db: Db,
  actor: Actor = { type: "user", userId: "usr_test", label: "admin@test", role: "admin" },
  now: () => Date = () => new Date(),
): ServiceContext {
  return { db, actor, source: "console", requestId: newId("request"), now };
}
