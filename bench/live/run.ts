// Live latency: from a decision to its row showing in the console's dashboard, timed in the
// browser. Starts the console (the built app, as `npm start` runs it) on a fresh database, signs
// in with Chromium, opens the dashboard and records, for every row the live feed inserts, the
// browser's clock at that moment; a separate process makes decisions at `--rate` per second
// (default 1,000) for `--seconds` (default 10) through `decideToolCall`. Latency = browser time
// of the row's insertion − the decision's occurred_at (same machine, same clock). Also reports
// the console's CPU while 50 idle streams are open. `--write-docs` writes the section of
// docs/benchmarks.md.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import Database from "better-sqlite3";
import { chromium } from "playwright";

import { numberOption, parseFlags, percentile, writeDocSection } from "../gateway/common";

const root = path.resolve(import.meta.dirname, "..", "..");
const SECTION = "## Live latency: decision to dashboard row";

const flags = parseFlags(process.argv.slice(2));
const RATE = numberOption(flags, "rate", "", 1000);
const SECONDS = numberOption(flags, "seconds", "", 10);
const IDLE_STREAMS = 50;
const PORT = 20_000 + (process.pid % 5_000) * 4 + 2;
const EMAIL = "admin@live.bench";
const PASSWORD = "live bench password 2026";

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 480; i++) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer`);
}

/** CPU seconds a process has used so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-bench-live-"));
  const dbFile = path.join(dir, "portcullis.db");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    PORTCULLIS_DB: dbFile,
    PORTCULLIS_HOST: "127.0.0.1",
    PORTCULLIS_CONSOLE_PORT: String(PORT),
    PORTCULLIS_ADMIN_EMAIL: EMAIL,
    PORTCULLIS_ADMIN_PASSWORD: PASSWORD,
    PORTCULLIS_LOG_LEVEL: "warn",
  };
  const { buildIfStale } = (await import(path.join(root, "scripts/build.mjs"))) as {
    buildIfStale: (root: string) => Promise<void>;
  };
  await buildIfStale(root);
  const seed = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(root, "scripts/seed.ts")],
    {
      cwd: root,
      env,
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  if (seed.status !== 0) throw new Error("seeding failed");
  const consoleProc = spawn(process.execPath, [path.join(root, "scripts/console-server.mjs")], {
    cwd: root,
    env,
    stdio: ["ignore", "inherit", "inherit"],
  });
  const base = `http://127.0.0.1:${PORT}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
  });
  try {
    await waitFor(`${base}/`);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/console/sign-in`);
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/console(\/?$|\/(?!sign-in))/);
    await page.goto(`${base}/console`);
    await page.getByRole("status", { name: "Stream live" }).waitFor();

    // Idle streams: the console's CPU with 50 open connections and no traffic.
    const idle = await browser.newPage();
    await idle.goto(`${base}/console/sign-in`);
    await idle.evaluate((n) => {
      const w = window as unknown as { __streams: EventSource[] };
      w.__streams = Array.from({ length: n }, () => new EventSource("/api/v1/audit/stream"));
    }, IDLE_STREAMS);
    await new Promise((r) => setTimeout(r, 2000));
    const idleStart = cpuSeconds(consoleProc.pid as number);
    const idleWall = performance.now();
    await new Promise((r) => setTimeout(r, 10_000));
    const idleCpu =
      (cpuSeconds(consoleProc.pid as number) - idleStart) / ((performance.now() - idleWall) / 1000);
    await idle.close();

    // Every row the feed inserts, with the browser's clock at the insertion.
    await page.evaluate(() => {
      const w = window as unknown as { __seen: [string, number][] };
      w.__seen = [];
      const feed = document.querySelector('[data-testid="live-feed"]') ?? document.body;
      new MutationObserver((records) => {
        const at = performance.timeOrigin + performance.now();
        for (const r of records)
          for (const n of r.addedNodes)
            if (n instanceof HTMLElement && n.dataset.eventId)
              w.__seen.push([n.dataset.eventId, at]);
      }).observe(feed.parentElement ?? feed, { childList: true, subtree: true });
    });

    const load = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(root, "bench/live/load.ts"),
        dbFile,
        String(RATE),
        String(SECONDS),
      ],
      { cwd: root, env, encoding: "utf8" },
    );
    if (load.status !== 0) throw new Error(`load failed: ${load.stderr}`);
    const made = JSON.parse(load.stdout.trim().split("\n").at(-1) ?? "{}") as {
      made: number;
      rate: number;
      maxLagMs: number;
    };
    await new Promise((r) => setTimeout(r, 2000));
    const seen = await page.evaluate(
      () => (window as unknown as { __seen: [string, number][] }).__seen,
    );
    const db = new Database(dbFile, { readonly: true });
    const at = new Map(
      (
        db
          .prepare(
            "SELECT id, occurred_at FROM audit_events WHERE action = 'tool_call.decide' AND actor_id = 'agt_livebench'",
          )
          .all() as { id: string; occurred_at: number }[]
      ).map((r) => [r.id, r.occurred_at]),
    );
    db.close();
    const firstSeen = new Map<string, number>();
    for (const [id, t] of seen) if (!firstSeen.has(id)) firstSeen.set(id, t);
    const latencies = [...firstSeen]
      .filter(([id]) => at.has(id))
      .map(([id, t]) => t - (at.get(id) as number))
      .sort((a, b) => a - b);
    const result = {
      decisions: at.size,
      rate: made.rate,
      loadMaxLagMs: made.maxLagMs,
      rowsSeen: latencies.length,
      p50: percentile(latencies, 0.5),
      p95: percentile(latencies, 0.95),
      p99: percentile(latencies, 0.99),
      max: latencies.at(-1) ?? NaN,
      idleCpu,
    };
    process.stderr.write(`${JSON.stringify(result)}\n`);
    const machine = `${os.cpus().length} vCPU (${os.cpus()[0]?.model.trim() ?? "unknown"}), Node ${process.versions.node}, Chromium headless; load average at the end ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" / ")}`;
    const ms = (v: number) => `${Math.round(v)} ms`;
    const table = [
      "| Decisions | Achieved rate | Rows seen in the feed | p50 | p95 | p99 | max |",
      "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      `| ${result.decisions.toLocaleString("en-US")} | ${Math.round(result.rate).toLocaleString("en-US")}/s | ${result.rowsSeen.toLocaleString("en-US")} | ${ms(result.p50)} | **${ms(result.p95)}** | ${ms(result.p99)} | ${ms(result.max)} |`,
    ].join("\n");
    const text = `${SECTION}

Command: \`npm run bench live -- --rate ${RATE} --seconds ${SECONDS} --write-docs\` (builds the console if stale; without
\`--write-docs\` it only prints). Machine: ${machine}.

The console runs as \`npm start\` runs it (\`scripts/console-server.mjs\` on the built app) on a fresh database; Chromium
signs in and keeps the dashboard open. A second process makes ${RATE.toLocaleString("en-US")} decisions per second for ${SECONDS} s through
\`decideToolCall\` (policy, counters, the audit row, commit), as a gateway does; one in five is denied. In the page, a
MutationObserver on the live feed notes the browser's clock when each row is inserted; the latency of a row is that time
minus the decision's \`occurred_at\` (both clocks are the machine's). The feed shows the newest 100 rows and renders once per
animation frame, so rows that arrive in one frame beyond those 100 are never put on screen: "rows seen" counts the rows
that were, and the percentiles are over them.

${table}

The load process fell at most ${ms(result.loadMaxLagMs)} behind its schedule. With ${IDLE_STREAMS} idle streams open (no traffic), the console
process used ${(result.idleCpu * 100).toFixed(1)} % of a core (one poller for all of them, every 50 ms).
`;
    process.stdout.write(`${text}\n`);
    if (process.argv.includes("--write-docs")) writeDocSection(SECTION, text);
  } finally {
    await browser.close();
    consoleProc.kill("SIGTERM");
    await new Promise((r) => consoleProc.once("exit", r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
