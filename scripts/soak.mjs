// `npm run soak`: the long versions of the robustness tests that `npm test` runs briefly —
// generated JSON-RPC, kill -9 under load, a full or read-only audit store, audit tampering — then
// one line per test with its figures (docs/reliability.md quotes them).
// `npm run soak -- fuzz` runs only the files whose path contains "fuzz".
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FILES = [
  "proxy/__tests__/reliability-fuzz.test.ts",
  "proxy/__tests__/reliability-kill.test.ts",
  "proxy/__tests__/reliability-disk.test.ts",
  "proxy/__tests__/reliability-tamper.test.ts",
];
const only = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const files = only.length ? FILES.filter((f) => only.some((o) => f.includes(o))) : FILES;
if (files.length === 0) {
  console.error(`no soak test matches ${only.join(", ")}; the tests are:\n  ${FILES.join("\n  ")}`);
  process.exit(2);
}

const report = path.join(root, "reports", "soak.jsonl");
fs.mkdirSync(path.dirname(report), { recursive: true });
fs.rmSync(report, { force: true });
const started = Date.now();
const run = spawnSync(
  process.execPath,
  [path.join(root, "node_modules/vitest/vitest.mjs"), "run", "--no-file-parallelism", ...files],
  {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      NO_COLOR: "1",
      PORTCULLIS_SOAK: "1",
      PORTCULLIS_RELIABILITY_REPORT: report,
    },
  },
);

console.log(`\n::: soak figures (${Math.round((Date.now() - started) / 1000)} s)`);
const lines = fs.existsSync(report) ? fs.readFileSync(report, "utf8").trim().split("\n") : [];
for (const line of lines.filter(Boolean)) {
  const { test, ...figures } = JSON.parse(line);
  const text = Object.entries(figures)
    .map(
      ([k, v]) => `${k}=${typeof v === "number" && k !== "seed" ? v.toLocaleString("en-US") : v}`,
    )
    .join(" ");
  console.log(`  ${test}: ${text}`);
}
process.exit(run.status ?? 1);
