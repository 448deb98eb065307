import path from "node:path";

import { MIGRATIONS_DIR, openMigratedDb } from "./client";
import { loadSharedEnv } from "@/lib/env";

const env = loadSharedEnv();
openMigratedDb(env.PORTCULLIS_DB, path.resolve(import.meta.dirname, "..", MIGRATIONS_DIR)).$client.close();
process.stderr.write(`Database ready: ${env.PORTCULLIS_DB}\n`);
