import fs from "node:fs";
import path from "node:path";

import { mtimeOf, newestMtime } from "./stale.mjs";

export const PROXY_SOURCES = ["proxy", "lib/core", "lib/services", "lib/env.ts", "db", "package.json", "tsconfig.json"];

/** Bundles the CLI (gateway, stdio proxy, seed) when any of its sources is newer than the bundle. */
export async function bundleCliIfStale(root, { force = false, quiet = false } = {}) {
  const out = path.join(root, "dist", "portcullis.mjs");
  if (!force && mtimeOf(out) >= newestMtime(root, PROXY_SOURCES)) return false;
  const { build } = await import("esbuild");
  // Write beside the target and rename: concurrent launchers never load a half-written file.
  const tmp = `${out}.${process.pid}.tmp.mjs`;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: ["proxy/cli.ts"],
    outfile: tmp,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    packages: "external",
    sourcemap: "inline",
    logLevel: quiet ? "error" : "warning",
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  fs.renameSync(tmp, out);
  return true;
}
