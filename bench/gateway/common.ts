// What the gateway and stdio benchmarks share: the echo upstream, the realistic policy, percentiles,
// process-tree memory, the CPU profile summary, machine facts and the docs/benchmarks.md writer.
import { type ChildProcess, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import type { Db } from "@/db/client";
import { REPO_ROOT_FOR_TESTS } from "@/lib/testing/proxy";

export const REPO_ROOT = REPO_ROOT_FOR_TESTS;
export const ECHO_SERVER = path.join(REPO_ROOT, "bench", "gateway", "echo-server.mjs");
export const DOC = path.join(REPO_ROOT, "docs", "benchmarks.md");

/**
 * Policy, counters and audit all on: a regex condition on the argument, a per-agent rolling
 * limit and a shared calendar limit under "*" (both far above the load), arguments redacted.
 */
export const POLICY = `version: "1"
default: allow
audit:
  arguments: redacted
tools:
  echo:
    rules:
      - name: plain messages only
        action: evaluate
        conditions:
          - { path: args.message, op: regex, value: "^[a-z0-9 ]{1,200}$" }
      - name: per-agent rolling limit
        rate_limit: { max: 100000000, window: 60 }
  "*":
    rules:
      - name: shared calendar limit
        rate_limit: 100000000/minute
        scope: shared
`;

// ---------------------------------------------------------------------------------------------
// Command line

/** `--name value` / `--name=value` flags, and bare `--name` switches. */
export function parseFlags(argv: string[]): Map<string, string | true> {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (!a.startsWith("--")) continue;
    const eq = a.indexOf("=");
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else if (argv[i + 1] !== undefined && !argv[i + 1]?.startsWith("--"))
      flags.set(a.slice(2), argv[++i] ?? "");
    else flags.set(a.slice(2), true);
  }
  return flags;
}

export function numberOption(
  flags: Map<string, string | true>,
  flag: string,
  envName: string,
  fallback: number,
): number {
  const raw = flags.get(flag) ?? process.env[envName];
  if (raw === undefined || raw === true) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${flag} must be a positive number`);
  return n;
}

/** `--flag N` from this process's arguments: a positive whole number, or `fallback`. */
export function countFlag(flag: string, fallback: number): number {
  const n = numberOption(parseFlags(process.argv.slice(2)), flag, "", fallback);
  if (!Number.isInteger(n)) throw new Error(`--${flag} must be a whole number`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

export const ascending = (samples: readonly number[]) => [...samples].sort((a, b) => a - b);

/** The median of repeated measurements (nearest rank: the middle one of an odd count). */
export const median = (samples: readonly number[]) => percentile(ascending(samples), 0.5);

export const fmtMs = (ms: number) =>
  Number.isNaN(ms)
    ? "—"
    : `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
export const fmtUs = (ms: number) => (Number.isNaN(ms) ? "—" : `${Math.round(ms * 1000)} µs`);
export const fmtMiB = (bytes: number) => (bytes > 0 ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : "—");

export function markdownTable(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Processes

/** Resident memory of `pid` and all its descendants, in bytes, and their count (Linux /proc). */
export function treeRss(rootPid: number): { bytes: number; procs: number } {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return { bytes: 0, procs: 0 };
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      // The command name may hold spaces and parentheses: fields start after the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // exited meanwhile
    }
  }
  let bytes = 0;
  let procs = 0;
  const stack = [rootPid];
  const seen = new Set<number>();
  while (stack.length) {
    const pid = stack.pop() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
      bytes += Number(m?.[1] ?? 0) * 1024;
      procs += 1;
    } catch {
      // exited meanwhile
    }
    stack.push(...(children.get(pid) ?? []));
  }
  return { bytes, procs };
}

/** All descendants of `rootPid` (not the root itself). */
export function descendants(rootPid: number): number[] {
  const parent = new Map<number, number>();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  for (const pid of parent.keys()) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === rootPid) {
        out.push(pid);
        break;
      }
    }
  }
  return out;
}

/** Samples the process tree's RSS every `everyMs` and keeps the peak (and the most processes). */
export class PeakRss {
  peak = 0;
  procs = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(
    private readonly pid: number,
    everyMs = 200,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }
  sample(): void {
    const now = treeRss(this.pid);
    this.peak = Math.max(this.peak, now.bytes);
    this.procs = Math.max(this.procs, now.procs);
  }
  stop(): { bytes: number; procs: number } {
    clearInterval(this.timer);
    this.sample();
    return { bytes: this.peak, procs: this.procs };
  }
}

function killTree(pid: number): void {
  for (const p of [...descendants(pid), pid]) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

const live = new Set<ChildProcess>();

/** Kills the child's whole tree if the benchmark is interrupted before it stops the child. */
export function track(child: ChildProcess): ChildProcess {
  if (live.size === 0 && process.listenerCount("SIGINT") === 0) {
    for (const sig of ["SIGINT", "SIGTERM"] as const)
      process.once(sig, () => {
        for (const c of live) if (c.pid !== undefined) killTree(c.pid);
        process.exit(130);
      });
  }
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

/**
 * SIGTERM to the process, then after `graceMs` SIGKILL to it and to every descendant seen before
 * the signal (some wrappers start their children in their own process group).
 */
export async function stopTree(child: ChildProcess, graceMs = 5000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const kids = descendants(pid);
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  await new Promise((r) => setTimeout(r, 200));
  for (const k of kids) {
    try {
      process.kill(k, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** A TCP port nothing listens on right now (for programs that cannot report the one they got). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once 127.0.0.1:port accepts connections; rejects if the child exits first. */
export async function waitForPort(port: number, child: ChildProcess, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.end();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
}

/** Resolves with the first capture of `pattern` in the child's stderr. */
export function waitForStderr(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs = 20_000,
): Promise<string> {
  let err = "";
  return new Promise<string>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
    };
    const onData = (c: Buffer) => {
      err += c.toString("utf8");
      const m = pattern.exec(err);
      if (m?.[1]) {
        done();
        resolve(m[1]);
      }
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`exited with ${code}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`did not print ${pattern} within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

// ---------------------------------------------------------------------------------------------
// CPU profiles

type CpuProfile = {
  nodes: {
    id: number;
    hitCount?: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  startTime: number;
  endTime: number;
  samples?: number[];
};

/** Top self-time functions of a .cpuprofile: hitCount × sampling interval, by name and file. */
export function summarizeCpuProfile(file: string, top = 20): string {
  const p = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
  const hits = p.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
  const intervalMs = hits > 0 ? (p.endTime - p.startTime) / 1000 / hits : 0;
  const byFn = new Map<string, number>();
  for (const node of p.nodes) {
    if (!node.hitCount) continue;
    const { functionName, url } = node.callFrame;
    const where = url
      .replace(/^file:\/\//, "")
      .replace(/^.*\/node_modules\//, "node_modules/")
      .replace(`${REPO_ROOT}/`, "");
    const key = `${functionName || "(anonymous)"}${where ? `  ${where}` : ""}`;
    byFn.set(key, (byFn.get(key) ?? 0) + node.hitCount * intervalMs);
  }
  const total = [...byFn.values()].reduce((a, b) => a + b, 0);
  const rows = [...byFn.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, ms]) => [
      `${ms.toFixed(0)} ms`,
      `${((100 * ms) / (total || 1)).toFixed(1)} %`,
      `\`${fn.replace(/\|/g, "\\|")}\``,
    ]);
  return `${path.basename(file)}: ${(total / 1000).toFixed(1)} s sampled, interval ${(intervalMs * 1000).toFixed(0)} µs\n\n${markdownTable(["self time", "share", "function  file"], rows)}`;
}

// ---------------------------------------------------------------------------------------------
// Machine facts and docs/benchmarks.md

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown CPU"}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, Node ${process.versions.node}`;
}

/** The 1, 5 and 15 minute load averages: other work on the machine moves every figure. */
export const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");

export function commit(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT })
      .toString()
      .trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "proxy", "lib", "db"], {
      cwd: REPO_ROOT,
    })
      .toString()
      .trim();
    return dirty ? `${head} with uncommitted changes` : head;
  } catch {
    return "unknown";
  }
}

export const today = () => new Date().toISOString().slice(0, 10);

/** The line every written section carries: machine, load before and after, date and commit. */
export const runFacts = (loadBefore: string) =>
  `Machine: ${machine()}; load average (1 / 5 / 15 min) ${loadBefore} at the start, ${loadAverage()} at the end. Measured ${today()} on commit ${commit()}.`;

/** Decision rows in the audit log: one per call that reached the policy. */
export const decisionRows = (db: Db) =>
  (
    db.$client
      .prepare("SELECT count(*) AS n FROM audit_events WHERE action = 'tool_call.decide'")
      .get() as { n: number }
  ).n;

const headingLevel = (line: string) => /^(#{1,6}) /.exec(line)?.[1]?.length ?? 0;

/**
 * Replaces the block that starts at the line `heading` and runs to the next heading of the same
 * or a higher level (or, with `stopAtLevel`, of any level up to it) with `body`. A missing block
 * is inserted at the end of the section `parent` (or at the end of the file).
 */
export function writeDocSection(
  heading: string,
  body: string,
  o: { stopAtLevel?: number; parent?: string } = {},
): void {
  const text = fs.existsSync(DOC) ? fs.readFileSync(DOC, "utf8") : "# Benchmarks\n";
  const lines = text.replace(/\n+$/, "").split("\n");
  const level = headingLevel(heading);
  const stop = o.stopAtLevel ?? level;
  const endOf = (from: number, lvl: number) => {
    let i = from + 1;
    let fence = false;
    for (; i < lines.length; i++) {
      const line = lines[i] ?? "";
      if (line.startsWith("```")) fence = !fence;
      const h = fence ? 0 : headingLevel(line);
      if (h > 0 && h <= lvl) break;
    }
    return i;
  };
  const block = body.trim().split("\n");
  const start = lines.indexOf(heading);
  if (start >= 0) {
    lines.splice(start, endOf(start, stop) - start, ...block, "");
  } else {
    const p = o.parent ? lines.indexOf(o.parent) : -1;
    const at = p >= 0 ? endOf(p, headingLevel(o.parent ?? "")) : lines.length;
    lines.splice(at, 0, "", ...block, "");
  }
  const out = lines
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .replace(/\n*$/, "\n");
  fs.writeFileSync(DOC, out);
  process.stdout.write(
    `updated ${path.relative(REPO_ROOT, DOC)} (${heading.replace(/^#+ /, "")})\n`,
  );
}
