import fs from "node:fs";
import path from "node:path";

import type { ClientConfigSettings } from "@/lib/core/client-config/generate";

const LAUNCHER = path.join("bin", "portcullis.mjs");

/** Whether `dir` is this project's root: its package.json names it and the launcher is there. */
function isProjectRoot(dir: string): boolean {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as {
      name?: unknown;
    };
    return pkg.name === "portcullis" && fs.statSync(path.join(dir, LAUNCHER)).isFile();
  } catch {
    return false;
  }
}

/**
 * The launcher's absolute path on this machine, looked up from `start` (the console runs with
 * the project root as its working folder) towards the file-system root; null when not found.
 */
export function findLauncher(start: string = process.cwd()): string | null {
  // Looked up at run time on purpose: the build must not trace the whole project for it.
  for (let dir = path.resolve(/* turbopackIgnore: true */ start); ; dir = path.dirname(dir)) {
    if (isProjectRoot(dir)) return path.join(dir, LAUNCHER);
    if (path.dirname(dir) === dir) return null;
  }
}

/** node and the launcher by absolute path, with the database this process uses. */
export function launcherSettings(
  db: string,
  start?: string,
): ClientConfigSettings["launcher"] | null {
  const script = findLauncher(start);
  return script
    ? { node: process.execPath, script, db: path.resolve(/* turbopackIgnore: true */ db) }
    : null;
}
