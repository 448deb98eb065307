// `npm run bench [name…] [-- --flag …]`: runs bench/<name>/run.ts for every benchmark (or the
// ones named); arguments from the first one starting with "--" on are passed to each benchmark.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const benchDir = path.join(root, "bench");
const args = process.argv.slice(2);
const firstFlag = args.findIndex((a) => a.startsWith("--"));
const wanted = firstFlag < 0 ? args : args.slice(0, firstFlag);
const passed = firstFlag < 0 ? [] : args.slice(firstFlag);
const names = fs
  .readdirSync(benchDir)
  .filter((n) => fs.existsSync(path.join(benchDir, n, "run.ts")))
  .filter((n) => wanted.length === 0 || wanted.includes(n));

if (names.length === 0) {
  console.error(`No benchmark matches ${wanted.join(", ") || "(none found)"}`);
  process.exit(1);
}
let failed = 0;
for (const name of names) {
  console.log(`\n## ${name}\n`);
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(benchDir, name, "run.ts"), ...passed],
    {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, NODE_ENV: "production" },
    },
  );
  if (r.status !== 0) failed += 1;
}
process.exit(failed ? 1 : 0);
