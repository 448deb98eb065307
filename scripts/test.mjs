// `npm test`: every check and test, then one closing line "N passed, N failed".
// Exits non-zero when anything failed or when no test ran.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { ensureInstalled } from "./lib/install.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const reports = path.join(root, "reports");
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NO_COLOR: "1", FORCE_COLOR: "0" };
const only = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const started = Date.now();
const results = [];

const elapsed = () => `${Math.round((Date.now() - started) / 1000)}s`;

function step(name, command, args, options = {}) {
  if (only.length && !only.includes(name)) return null;
  console.log(`\n::: ${name} (+${elapsed()})`);
  const r = spawnSync(command, args, { cwd: root, env, stdio: "inherit", ...options });
  const ok = r.status === 0;
  if (!ok) console.log(`::: ${name} failed (status ${r.status ?? r.signal})`);
  return ok;
}

function ensureChromium() {
  const chromium = env.CHROMIUM_PATH || "/usr/bin/chromium";
  if (fs.existsSync(chromium)) return true;
  if (process.getuid?.() !== 0) {
    console.error(
      `Chromium is missing (${chromium}). Install it with \`sudo apt-get install -y chromium\`, ` +
        "or set CHROMIUM_PATH to a Chromium or Chrome binary, then run npm test again.",
    );
    return false;
  }
  console.log("Installing Debian chromium for the browser tests…");
  const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  const install = spawnSync("apt-get", ["install", "-y", "-qq", "chromium"], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  return update.status === 0 && install.status === 0 && fs.existsSync(chromium);
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

ensureInstalled(root);
fs.mkdirSync(reports, { recursive: true });
for (const f of ["unit.json", "e2e.json"]) fs.rmSync(path.join(reports, f), { force: true });

const node = process.execPath;
const bin = (p) => path.join(root, "node_modules", p);
let passed = 0;
let failed = 0;

for (const [name, ok] of [
  ["lint", step("lint", node, [bin("eslint/bin/eslint.js"), ".", "--max-warnings", "0"])],
  ["typecheck", step("typecheck", node, [bin("typescript/bin/tsc"), "--noEmit", "-p", "."])],
]) {
  if (ok === null) continue;
  results.push(`${name}: ${ok ? "ok" : "FAILED"}`);
  if (!ok) failed += 1;
}

const unitOk = step("unit", node, [
  bin("vitest/vitest.mjs"), "run", "--reporter=default", "--reporter=json",
  `--outputFile=${path.join(reports, "unit.json")}`,
]);
if (unitOk !== null) {
  const unit = readJson(path.join(reports, "unit.json"));
  const p = unit?.numPassedTests ?? 0;
  const f = (unit?.numFailedTests ?? 0) + (unit ? 0 : 1);
  passed += p;
  failed += f;
  if (!unitOk && f === 0) failed += 1; // the runner failed outside any test (collection, setup)
  results.push(`unit: ${p} passed, ${f} failed`);
}

if (!only.length || only.includes("e2e")) {
  const built = step("build", node, [path.join(root, "scripts/build.mjs")]);
  if (!built) {
    failed += 1;
    results.push("build: FAILED (end-to-end tests not run)");
  } else if (!ensureChromium()) {
    failed += 1;
    results.push("e2e: Chromium missing");
  } else {
    const e2eOk = step("e2e", node, [bin("@playwright/test/cli.js"), "test"]);
    const e2e = readJson(path.join(reports, "e2e.json"));
    const p = (e2e?.stats?.expected ?? 0) + (e2e?.stats?.flaky ?? 0);
    const f = (e2e?.stats?.unexpected ?? 0) + (e2e ? 0 : 1);
    passed += p;
    failed += f;
    if (!e2eOk && f === 0) failed += 1;
    results.push(`e2e: ${p} passed, ${f} failed${e2e?.stats?.flaky ? ` (${e2e.stats.flaky} flaky)` : ""}`);
  }
}

console.log(`\n::: summary (${elapsed()})`);
for (const r of results) console.log(`  ${r}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
