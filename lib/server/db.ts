import "server-only";

import path from "node:path";

import { type Db, MIGRATIONS_DIR } from "@/db/client";
import { getConsoleEnv } from "@/lib/env";
import { startAuditIndexer } from "@/lib/services/audit/indexer";
import { openMigratedDb } from "@/lib/services/database";
import { startConsoleAuditMaintenance } from "./audit-integrity";

// One handle per server process, surviving dev hot reloads. Opened lazily so `next build`
// never touches a database.
const cache = globalThis as typeof globalThis & { __portcullisDb?: Db };

export function getDb(): Db {
  if (!cache.__portcullisDb) {
    cache.__portcullisDb = openMigratedDb(
      getConsoleEnv().PORTCULLIS_DB,
      // The migrations folder is read at run time from the install, not bundled.
      path.join(/*turbopackIgnore: true*/ process.cwd(), MIGRATIONS_DIR),
    );
    // The console keeps the audit search index and rollups current, off the gateway's path.
    startAuditIndexer(cache.__portcullisDb);
    startConsoleAuditMaintenance(cache.__portcullisDb);
  }
  return cache.__portcullisDb;
}
