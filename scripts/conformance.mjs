// Runs the official MCP conformance suite (@modelcontextprotocol/conformance) against the
// conformance repository's reference server, once directly and once through a Portcullis
// gateway, at each requested protocol revision, and prints what the gateway loses.
//
//   npm run conformance -- --server-dir <conformance repo>/examples/servers/typescript
//
// Options:
//   --server-dir DIR      the reference server's folder (required); its dependencies are
//                         installed when node_modules is missing
//   --server-entry FILE   entry file inside it (default: everything-server.ts)
//   --revisions LIST      comma-separated (default: 2025-11-25,2026-07-28)
//   --suite-version V     conformance package version (default below)
//   --isolation MODE      gateway connection setting for the upstream: shared (default) | session
//   --out DIR             keep logs and per-check results here (default: a temp folder)
//   --only direct|gateway run one side only
//   --timeout MS          per-scenario timeout handed to the suite
//   --json FILE           also write the summary as JSON
//   --per-scenario        also print passed/total per scenario and side
//
// The suite and a Node 22 runtime (the suite needs fs.globSync) are installed on demand into
// .cache/conformance/ (gitignored). The suite has no option to add HTTP headers, so the gateway
// run goes through a small loopback proxy that adds the agent's Authorization header and
// otherwise forwards bytes unchanged, streaming in both directions.
//
// Exit code: 0 when every run completed (whatever the pass counts), 1 when a run could not be
// carried out, 2 on a usage error.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DEFAULT_SUITE_VERSION = "0.2.0-alpha.12";
const NODE_MAJOR = 22;
const UPSTREAM_NAME = "conformance";
const AGENT_NAME = "conformance-suite";

function usage(message) {
  if (message) console.error(`conformance: ${message}`);
  console.error(
    "usage: npm run conformance -- --server-dir DIR [--revisions 2025-11-25,2026-07-28] [--isolation session|shared]\n" +
      "       [--suite-version V] [--server-entry FILE] [--out DIR] [--only direct|gateway] [--timeout MS] [--json FILE]\n" +
      "       [--per-scenario]",
  );
  process.exit(2);
}

let opts;
try {
  opts = parseArgs({
    options: {
      "server-dir": { type: "string" },
      "server-entry": { type: "string", default: "everything-server.ts" },
      revisions: { type: "string", default: "2025-11-25,2026-07-28" },
      "suite-version": { type: "string", default: DEFAULT_SUITE_VERSION },
      isolation: { type: "string", default: "shared" },
      out: { type: "string" },
      only: { type: "string" },
      timeout: { type: "string" },
      json: { type: "string" },
      "per-scenario": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
} catch (err) {
  usage(err instanceof Error ? err.message : String(err));
}
if (opts.help) usage();
if (!opts["server-dir"]) usage("--server-dir is required");
if (!["session", "shared"].includes(opts.isolation)) usage("--isolation must be session or shared");
if (opts.only && !["direct", "gateway"].includes(opts.only))
  usage("--only must be direct or gateway");
const serverDir = path.resolve(opts["server-dir"]);
const serverEntry = path.join(serverDir, opts["server-entry"]);
if (!fs.existsSync(serverEntry)) usage(`no ${opts["server-entry"]} in ${serverDir}`);
const revisions = opts.revisions
  .split(",")
  .map((r) => r.trim())
  .filter(Boolean);
const sides = opts.only ? [opts.only] : ["direct", "gateway"];

const cacheDir = path.join(root, ".cache", "conformance");
const outDir = opts.out
  ? path.resolve(opts.out)
  : fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-conformance-"));
fs.mkdirSync(outDir, { recursive: true });

const children = [];
const servers = [];
let cleaningUp = false;
async function cleanup() {
  if (cleaningUp) return;
  cleaningUp = true;
  for (const s of servers) s.close();
  await Promise.all(children.map((c) => stopChild(c)));
}
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    void cleanup().then(() => process.exit(130));
  });
}

function log(message) {
  console.error(`conformance: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// Tools on demand

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, {
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    ...options,
  });
  if (r.status !== 0) {
    throw new Error(
      `${[cmd, ...args].join(" ")} failed (${r.status ?? r.signal}):\n${r.stderr || r.stdout}`,
    );
  }
  return r.stdout;
}

function npmCommand() {
  return process.platform === "win32" ? "npm.cmd" : "npm";
}

function installedVersion(dir, name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "node_modules", name, "package.json"), "utf8"))
      .version;
  } catch {
    return null;
  }
}

/** Installs the suite (and, when this Node is older than 22, a Node 22 runtime) into the cache. */
function ensureTools() {
  fs.mkdirSync(cacheDir, { recursive: true });
  const pkgFile = path.join(cacheDir, "package.json");
  if (!fs.existsSync(pkgFile)) {
    fs.writeFileSync(
      pkgFile,
      JSON.stringify({ name: "portcullis-conformance-cache", private: true }, null, 2) + "\n",
    );
  }
  const wanted = [];
  const suiteName = "@modelcontextprotocol/conformance";
  if (installedVersion(cacheDir, suiteName) !== opts["suite-version"])
    wanted.push(`${suiteName}@${opts["suite-version"]}`);

  let nodeBin = process.execPath;
  const major = Number(process.versions.node.split(".")[0]);
  if (major < NODE_MAJOR) {
    const nodePkg = `node-${process.platform}-${process.arch}`;
    const v = installedVersion(cacheDir, nodePkg);
    if (!v || Number(v.split(".")[0]) !== NODE_MAJOR) wanted.push(`${nodePkg}@${NODE_MAJOR}`);
    nodeBin = path.join(
      cacheDir,
      "node_modules",
      nodePkg,
      "bin",
      process.platform === "win32" ? "node.exe" : "node",
    );
  }
  if (wanted.length > 0) {
    log(`installing ${wanted.join(", ")} into ${path.relative(root, cacheDir)}/`);
    run(npmCommand(), ["install", "--no-audit", "--no-fund", "--save-exact", ...wanted], {
      cwd: cacheDir,
    });
  }
  const suiteCli = path.join(cacheDir, "node_modules", suiteName, "dist", "index.js");
  if (!fs.existsSync(suiteCli)) throw new Error(`the suite's CLI is missing at ${suiteCli}`);
  const nodeVersion = run(nodeBin, ["--version"]).trim();
  return { nodeBin, suiteCli, nodeVersion, suiteVersion: installedVersion(cacheDir, suiteName) };
}

function ensureServerDependencies() {
  if (fs.existsSync(path.join(serverDir, "node_modules"))) return;
  const ci = fs.existsSync(path.join(serverDir, "package-lock.json"));
  log(
    `installing the reference server's dependencies (npm ${ci ? "ci" : "install"}) in ${serverDir}`,
  );
  run(npmCommand(), [ci ? "ci" : "install", "--no-audit", "--no-fund"], { cwd: serverDir });
}

function tsxBin() {
  for (const dir of [serverDir, root]) {
    const bin = path.join(
      dir,
      "node_modules",
      ".bin",
      process.platform === "win32" ? "tsx.cmd" : "tsx",
    );
    if (fs.existsSync(bin)) return bin;
  }
  throw new Error("tsx is not installed in the reference server's folder nor in this repository");
}

// ---------------------------------------------------------------------------------------------
// Processes

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function startChild(name, cmd, args, options) {
  const logFile = path.join(outDir, `${name}.log`);
  const fd = fs.openSync(logFile, "a");
  const child = spawn(cmd, args, {
    stdio: ["ignore", fd, fd],
    detached: process.platform !== "win32",
    ...options,
  });
  fs.closeSync(fd);
  child.logFile = logFile;
  child.label = name;
  child.exited = new Promise((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  children.push(child);
  return child;
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const kill = (sig) => {
    try {
      // The child runs in its own process group (tsx starts a grandchild): signal the group.
      if (process.platform !== "win32") process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      // already gone
    }
  };
  kill("SIGTERM");
  const timer = setTimeout(() => kill("SIGKILL"), 5000);
  await child.exited;
  clearTimeout(timer);
}

async function waitFor(label, child, probe, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${label} exited early; see ${child.logFile}:\n${tail(child.logFile)}`);
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`${label} did not come up in ${timeoutMs} ms; see ${child.logFile}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function tail(file, lines = 20) {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

function tcpOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

async function startReferenceServer() {
  ensureServerDependencies();
  const port = await freePort();
  const child = startChild("reference-server", tsxBin(), [serverEntry], {
    cwd: serverDir,
    env: { ...process.env, PORT: String(port) },
  });
  await waitFor("the reference server", child, () => tcpOpen(port));
  return { child, url: `http://127.0.0.1:${port}/mcp` };
}

// ---------------------------------------------------------------------------------------------
// Gateway

function portcullis(env, args, options = {}) {
  return run(process.execPath, [path.join(root, "dist", "portcullis.mjs"), ...args], {
    cwd: root,
    env,
    ...options,
  });
}

async function startGateway(upstreamUrl, port, allowedOrigin) {
  const { bundleCliIfStale } = await import(
    pathToFileURL(path.join(root, "scripts", "lib", "bundle.mjs")).href
  );
  if (await bundleCliIfStale(root)) log("built dist/portcullis.mjs");

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-conformance-db-"));
  const env = { ...process.env, PORTCULLIS_DB: path.join(dir, "portcullis.db") };
  delete env.PORTCULLIS_AGENT_KEY;
  const policyFile = path.join(dir, "allow-all.yaml");
  fs.writeFileSync(
    policyFile,
    'version: "1"\ndescription: "conformance: allow everything"\ndefault: allow\n',
  );

  portcullis(env, [
    "servers",
    "add",
    UPSTREAM_NAME,
    "--url",
    upstreamUrl,
    "--isolation",
    opts.isolation,
    "--description",
    "MCP conformance reference server",
  ]);
  portcullis(env, ["policies", "apply", UPSTREAM_NAME, policyFile]);
  const created = JSON.parse(portcullis(env, ["agents", "create", AGENT_NAME, "--json"]));
  if (typeof created.key !== "string") throw new Error("agents create --json printed no key");

  // The suite's DNS-rebinding scenario sends the Origin of the URL it was given (the proxy's);
  // an operator would list such a local client's Origin, so the harness does too.
  env.PORTCULLIS_ALLOWED_ORIGINS = [process.env.PORTCULLIS_ALLOWED_ORIGINS, allowedOrigin]
    .filter(Boolean)
    .join(",");
  const child = startChild(
    "gateway",
    process.execPath,
    [
      path.join(root, "dist", "portcullis.mjs"),
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
    ],
    {
      cwd: root,
      env,
    },
  );
  await waitFor(
    "the gateway",
    child,
    async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
  );
  return { child, port, key: created.key, dir };
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

function forwardableHeaders(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name.toLowerCase()) && value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * A loopback reverse proxy in front of the gateway that adds `Authorization: Bearer <key>` (the
 * suite cannot send extra headers) and forwards everything else as is, Host and Origin
 * included, so the DNS-rebinding checks still see what the suite sent. Bodies stream in both
 * directions; a client that goes away aborts the forwarded request.
 */
function startAuthProxy(target) {
  return new Promise((resolve, reject) => {
    const server = http.createServer((req, res) => {
      const headers = forwardableHeaders(req.headers);
      for (const name of Object.keys(headers))
        if (name.toLowerCase() === "authorization") delete headers[name];
      headers.authorization = `Bearer ${target.key}`;
      const upstream = http.request(
        { host: "127.0.0.1", port: target.port, method: req.method, path: req.url, headers },
        (upRes) => {
          res.writeHead(
            upRes.statusCode ?? 502,
            upRes.statusMessage,
            forwardableHeaders(upRes.headers),
          );
          res.flushHeaders();
          upRes.pipe(res);
          upRes.on("error", () => res.destroy());
        },
      );
      upstream.on("error", (err) => {
        if (!res.headersSent)
          res.writeHead(502, { "content-type": "text/plain" }).end(`proxy: ${err.message}`);
        else res.destroy();
      });
      res.on("close", () => {
        if (!res.writableFinished) upstream.destroy();
      });
      req.pipe(upstream);
    });
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      servers.push(server);
      resolve({ server, port: server.address().port });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Suite runs and results

function runSuite(tools, url, revision, side) {
  const dir = path.join(outDir, `${side}-${revision}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const args = [tools.suiteCli, "server", "--url", url, "--requirements", revision, "-o", dir];
  if (opts.timeout) args.push("--timeout", opts.timeout);
  log(`${side} ${revision}: ${url}`);
  return new Promise((resolve) => {
    const logFile = path.join(outDir, `${side}-${revision}.log`);
    const fd = fs.openSync(logFile, "w");
    const child = spawn(tools.nodeBin, args, { stdio: ["ignore", fd, fd], cwd: outDir });
    fs.closeSync(fd);
    children.push(child);
    child.on("exit", (code, signal) => {
      const text = fs.readFileSync(logFile, "utf8");
      resolve({ side, revision, code, signal, logFile, ...readResults(dir, text) });
    });
  });
}

// INFO and SKIPPED rank lowest: they only stand for an id no other occurrence reports.
const SEVERITY = { FAILURE: 3, WARNING: 2, SUCCESS: 1, INFO: 0, SKIPPED: 0 };

/** Per-scenario counts as the suite prints them (SUCCESS passed, FAILURE failed) and per-check statuses. */
function readResults(dir, text) {
  const notScored = new Map();
  const section = text.split(/\n(?=Not scored for )/)[1] ?? "";
  for (const m of section.matchAll(/^\s+[✓✗]\s+(\S+)\s+\(([^)]+)\)/gm)) notScored.set(m[1], m[2]);
  const scenarios = new Map();
  for (const entry of fs.readdirSync(dir)) {
    const m = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(entry);
    const file = path.join(dir, entry, "checks.json");
    if (!m || !fs.existsSync(file)) continue;
    const checks = JSON.parse(fs.readFileSync(file, "utf8"));
    const counts = { passed: 0, failed: 0, warnings: 0 };
    const byId = new Map();
    for (const c of checks) {
      if (c.status === "SUCCESS") counts.passed++;
      else if (c.status === "FAILURE") counts.failed++;
      else if (c.status === "WARNING") counts.warnings++;
      if (!(c.status in SEVERITY)) continue;
      // Collapse repeated ids to the most severe occurrence, as the suite's baselines do.
      const prev = byId.get(c.id);
      if (!prev || SEVERITY[c.status] >= SEVERITY[prev.status]) byId.set(c.id, c);
    }
    scenarios.set(m[1], {
      counts,
      checks: byId,
      scored: !notScored.has(m[1]),
      why: notScored.get(m[1]),
    });
  }
  return { scenarios };
}

function totals(result, scoredOnly) {
  let passed = 0;
  let failed = 0;
  for (const s of result.scenarios.values()) {
    if (scoredOnly && !s.scored) continue;
    passed += s.counts.passed;
    failed += s.counts.failed;
  }
  return { passed, failed, total: passed + failed };
}

function pad(s, n) {
  s = String(s);
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => pad(c, widths[i]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function report(results) {
  const get = (side, revision) => results.find((r) => r.side === side && r.revision === revision);
  const cell = (r, scored) => {
    if (!r) return "-";
    if (r.scenarios.size === 0) return `no results (exit ${r.code ?? r.signal})`;
    const t = totals(r, scored);
    return `${t.passed}/${t.total}`;
  };
  const lines = [];
  lines.push("");
  lines.push(
    "Checks passed / passed+failed (warnings and skips not counted), per the suite's own tally:",
  );
  lines.push("");
  lines.push(
    table([
      ["revision", "direct (scored)", "gateway (scored)", "direct (all run)", "gateway (all run)"],
      ...revisions.map((rev) => [
        rev,
        cell(get("direct", rev), true),
        cell(get("gateway", rev), true),
        cell(get("direct", rev), false),
        cell(get("gateway", rev), false),
      ]),
    ]),
  );

  const summary = { revisions: {}, outDir };
  for (const rev of revisions) {
    const d = get("direct", rev);
    const g = get("gateway", rev);
    summary.revisions[rev] = {
      direct: d && { scored: totals(d, true), all: totals(d, false) },
      gateway: g && { scored: totals(g, true), all: totals(g, false) },
      lost: [],
      perScenario: {},
    };
    const names = new Set([...(d?.scenarios.keys() ?? []), ...(g?.scenarios.keys() ?? [])]);
    for (const name of [...names].sort()) {
      const s = d?.scenarios.get(name) ?? g?.scenarios.get(name);
      summary.revisions[rev].perScenario[name] = {
        scored: s.scored,
        direct: d?.scenarios.get(name)?.counts ?? null,
        gateway: g?.scenarios.get(name)?.counts ?? null,
      };
    }
    if (opts["per-scenario"]) {
      const count = (c) => (c ? `${c.passed}/${c.passed + c.failed}` : "-");
      lines.push("");
      lines.push(`${rev} per scenario (* = not scored):`);
      lines.push(
        table([
          ["scenario", "direct", "gateway"],
          ...Object.entries(summary.revisions[rev].perScenario).map(([name, v]) => [
            `${v.scored ? " " : "*"} ${name}`,
            count(v.direct),
            count(v.gateway),
          ]),
        ]),
      );
    }
    if (!d || !g) continue;
    const lost = [];
    for (const [name, ds] of d.scenarios) {
      const gs = g.scenarios.get(name);
      for (const [id, dc] of ds.checks) {
        if (dc.status !== "SUCCESS") continue;
        const gc = gs?.checks.get(id);
        if (gc?.status === "SUCCESS") continue;
        // A check the gateway run never emitted: say why the scenario stopped, when it did.
        const scenarioFailure =
          gs && [...gs.checks.values()].find((c) => c.status === "FAILURE" && !ds.checks.has(c.id));
        const why =
          gc?.errorMessage ??
          (gc ? JSON.stringify(gc.details ?? {}).slice(0, 160) : undefined) ??
          (scenarioFailure
            ? `not emitted; ${scenarioFailure.id}: ${scenarioFailure.errorMessage ?? ""}`
            : undefined) ??
          (gs ? "not emitted" : "the scenario produced no result");
        lost.push({
          scenario: name,
          scored: ds.scored,
          check: id,
          gateway: gc?.status ?? "MISSING",
          error: why.replace(/\s+/g, " ").slice(0, 200),
        });
      }
    }
    summary.revisions[rev].lost = lost;
    lines.push("");
    lines.push(`${rev}: ${lost.length} check(s) pass directly but not through the gateway`);
    for (const l of lost) {
      lines.push(`  ${l.scored ? " " : "*"} ${l.scenario} / ${l.check}: ${l.gateway} — ${l.error}`);
    }
  }
  if (Object.values(summary.revisions).some((r) => r.lost.some((l) => !l.scored))) {
    lines.push("");
    lines.push("  * not scored at that revision (extension or pending scenario)");
  }
  lines.push("");
  lines.push(`Per-check results and suite logs: ${outDir}`);
  console.log(lines.join("\n"));
  return summary;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const tools = ensureTools();
  log(`suite ${tools.suiteVersion} on node ${tools.nodeVersion}; results in ${outDir}`);
  const ref = await startReferenceServer();
  log(`reference server at ${ref.url}`);

  const results = [];
  if (sides.includes("direct")) {
    for (const rev of revisions) results.push(await runSuite(tools, ref.url, rev, "direct"));
  }
  if (sides.includes("gateway")) {
    // The proxy binds first so that the gateway's port, picked next, cannot collide with it.
    const target = { port: 0, key: "" };
    const proxy = await startAuthProxy(target);
    target.port = await freePort();
    const gw = await startGateway(ref.url, target.port, `http://127.0.0.1:${proxy.port}`);
    target.key = gw.key;
    log(
      `gateway on 127.0.0.1:${gw.port} (isolation ${opts.isolation}), key-adding proxy on 127.0.0.1:${proxy.port}`,
    );
    const url = `http://127.0.0.1:${proxy.port}/mcp/${UPSTREAM_NAME}`;
    for (const rev of revisions) results.push(await runSuite(tools, url, rev, "gateway"));
    await stopChild(gw.child);
    fs.rmSync(gw.dir, { recursive: true, force: true });
  }

  const summary = report(results);
  if (opts.json) fs.writeFileSync(path.resolve(opts.json), JSON.stringify(summary, null, 2) + "\n");
  const broken = results.filter((r) => r.scenarios.size === 0);
  for (const r of broken) log(`${r.side} ${r.revision} produced no results; see ${r.logFile}`);
  return broken.length === 0 ? 0 : 1;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (err) {
  console.error(`conformance: ${err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
