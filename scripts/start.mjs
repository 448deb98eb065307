// `npm start`: install if needed, build what is stale, migrate and seed, then run the console
// and the gateway together. If either stops, the other is stopped too and the reason printed.
import { spawn, spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { ensureInstalled } from "./lib/install.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dev = process.argv.includes("--dev");

ensureInstalled(root);
const { buildIfStale } = await import("./build.mjs");
if (!dev) {
  try {
    await buildIfStale(root);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}

const env = {
  ...process.env,
  NEXT_TELEMETRY_DISABLED: "1",
  PORTCULLIS_DB:
    process.env.PORTCULLIS_DB || path.join(os.homedir(), ".portcullis", "portcullis.db"),
};
const host = env.PORTCULLIS_HOST || "127.0.0.1";
const consolePort = env.PORTCULLIS_CONSOLE_PORT || "7300";
const gatewayPort = env.PORTCULLIS_GATEWAY_PORT || "7400";
env.PORTCULLIS_HOST = host;
env.PORTCULLIS_CONSOLE_PORT = consolePort;
env.PORTCULLIS_GATEWAY_URL ||= `http://${host.includes(":") ? `[${host}]` : host}:${gatewayPort}`;

// Validates every setting, migrates, and seeds a first admin and the demo on an empty database.
const seed = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "scripts/seed.ts")], {
  cwd: root,
  env,
  stdio: ["ignore", "inherit", "inherit"],
});
if (seed.status !== 0) process.exit(seed.status ?? 1);

const children = new Map();
let stopping = false;

function run(name, args) {
  const preload = pathToFileURL(path.join(root, "scripts/lib/exit-with-parent.mjs")).href;
  const child = spawn(process.execPath, ["--import", preload, ...args], {
    cwd: root,
    env,
    stdio: ["pipe", "inherit", "inherit"],
  });
  children.set(name, child);
  child.on("exit", (code, signal) => {
    children.delete(name);
    if (stopping) {
      if (children.size === 0) process.exit(process.exitCode ?? 0);
      return;
    }
    console.error(
      `\n${name} stopped (${signal ? `signal ${signal}` : `exit code ${code}`}); stopping the rest.`,
    );
    shutdown(1);
  });
  child.on("error", (err) => {
    console.error(`${name} could not start: ${err.message}`);
    shutdown(1);
  });
  return child;
}

function shutdown(exitCode) {
  if (stopping) return;
  stopping = true;
  process.exitCode = exitCode;
  for (const child of children.values()) child.kill("SIGTERM");
  setTimeout(() => {
    for (const child of children.values()) child.kill("SIGKILL");
    process.exit(exitCode);
  }, 10_000).unref();
  if (children.size === 0) process.exit(exitCode);
}

process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));
// `npm start` runs this script through `exec` (package.json), so npm's forwarded SIGINT and
// SIGTERM reach it: a shell in between would die of SIGTERM and swallow SIGINT, leaving this
// process serving. If whatever started it dies without a signal reaching it (kill -9 of npm),
// it is re-parented, and stops as well.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) shutdown(0);
}, 500).unref();

run("console", [path.join(root, "scripts/console-server.mjs"), ...(dev ? ["--dev"] : [])]);
run(
  "gateway",
  dev
    ? ["--import", "tsx", path.join(root, "proxy/cli.ts"), "serve"]
    : [path.join(root, "bin/portcullis.mjs"), "serve"],
);

async function waitFor(url) {
  for (let i = 0; i < 240 && !stopping; i++) {
    try {
      const res = await fetch(url);
      if (res.status < 500) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

const consoleUrl = `http://${host}:${consolePort}`;
const [consoleUp, gatewayUp] = await Promise.all([
  waitFor(`${consoleUrl}/`),
  waitFor(`${env.PORTCULLIS_GATEWAY_URL}/healthz`),
]);
if (consoleUp && gatewayUp && !stopping) {
  console.error(
    [
      "",
      "Portcullis is running.",
      `  Console:   ${consoleUrl}/console   (landing page: ${consoleUrl}/)`,
      `  Gateway:   ${env.PORTCULLIS_GATEWAY_URL}/mcp/<server>   (demo server: ${env.PORTCULLIS_GATEWAY_URL}/mcp/everything)`,
      `  Database:  ${env.PORTCULLIS_DB}`,
      "  Traffic:   npm run demo   (in another terminal)",
      "  Stop:      Ctrl-C",
      "",
    ].join("\n"),
  );
}
