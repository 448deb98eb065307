import "server-only";

import path from "node:path";

import { type Db, MIGRATIONS_DIR } from "@/db/client";
import { getConsoleEnv } from "@/lib/env";
import { openMigratedDb } from "@/lib/services/database";

// One handle per server process, surviving dev hot reloads. Opened lazily so `next build`
// never touches a database.
const cache = globalThis as typeof globalThis & { __portcullisDb?: Db };

export function getDb(): Db {
  cache.__portcullisDb ??= openMigratedDb(
    getConsoleEnv().PORTCULLIS_DB,
    // The migrations folder is read at run time from the install, not bundled.
    path.join(/*turbopackIgnore: true*/ process.cwd(), MIGRATIONS_DIR),
  );
  return cache.__portcullisDb;
}
