// Builds what is stale: the CLI/gateway bundle and the Next.js console.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { bundleCliIfStale } from "./lib/bundle.mjs";
import { mtimeOf, newestMtime } from "./lib/stale.mjs";

const CONSOLE_SOURCES = [
  "app", "components", "lib", "db", "public", "next.config.ts", "postcss.config.mjs",
  "tsconfig.json", "package-lock.json",
];

export async function buildIfStale(root, { force = false } = {}) {
  if (await bundleCliIfStale(root, { force })) console.error("Built the CLI and gateway bundle.");
  const buildId = path.join(root, ".next", "BUILD_ID");
  if (force || mtimeOf(buildId) < newestMtime(root, CONSOLE_SOURCES)) {
    console.error("Building the console (next build)…");
    const r = spawnSync(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "build"], {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    });
    if (r.status !== 0) throw new Error(`next build failed with status ${r.status}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  try {
    await buildIfStale(root, { force: process.argv.includes("--force") });
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
