import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | null = null;

/**
 * The repository root: the nearest ancestor of this module holding `package.json` and
 * `db/migrations`. Works from the bundle in dist/ and from proxy/ under tsx alike.
 */
export function repoRoot(): string {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (
      fs.existsSync(path.join(dir, "package.json")) &&
      fs.existsSync(path.join(dir, "db", "migrations"))
    ) {
      cached = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error(
        "cannot find the portcullis installation (db/migrations next to package.json)",
      );
    dir = parent;
  }
}

export function migrationsDir(): string {
  return path.join(repoRoot(), "db", "migrations");
}
