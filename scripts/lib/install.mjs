import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { mtimeOf } from "./stale.mjs";

/**
 * Installs dependencies when node_modules is missing or older than the lockfile. Uses only
 * Node built-ins: it runs before any dependency exists.
 */
export function ensureInstalled(root, log = (m) => console.error(m)) {
  const marker = path.join(root, "node_modules", ".package-lock.json");
  const lock = path.join(root, "package-lock.json");
  if (fs.existsSync(marker) && mtimeOf(marker) >= mtimeOf(lock)) return false;
  log("Installing dependencies (the SQLite driver compiles from source; about a minute)…");
  const args = fs.existsSync(lock) && !fs.existsSync(path.join(root, "node_modules")) ? ["ci"] : ["install"];
  const r = spawnSync("npm", [...args, "--no-audit", "--no-fund"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) throw new Error(`npm ${args[0]} failed with status ${r.status}`);
  return true;
}
