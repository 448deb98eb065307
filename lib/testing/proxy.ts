import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

import { type Db, openMigratedDb } from "@/db/client";
import type { AuditEvent, Upstream } from "@/db/schema";
import { MIGRATIONS, REPO_ROOT } from "./db";
import { insertPolicyVersion, insertUpstream } from "./factories";

export const CLI_BUNDLE = path.join(REPO_ROOT, "dist", "portcullis.mjs");
export const REPO_ROOT_FOR_TESTS = REPO_ROOT;

/** Builds dist/portcullis.mjs when a source is newer; child processes run the bundle, as users do. */
export async function ensureCliBundle(): Promise<string> {
  const mod = (await import(
    pathToFileURL(path.join(REPO_ROOT, "scripts/lib/bundle.mjs")).href
  )) as {
    bundleCliIfStale: (root: string, o?: { quiet?: boolean }) => Promise<boolean>;
  };
  await mod.bundleCliIfStale(REPO_ROOT, { quiet: true });
  return CLI_BUNDLE;
}

/** The entry file of an installed reference server (run with `node`, never npx). */
export function serverEntry(name: "everything" | "filesystem" | "memory"): string {
  return path.join(
    REPO_ROOT,
    "node_modules",
    "@modelcontextprotocol",
    `server-${name}`,
    "dist",
    "index.js",
  );
}

export const FIXTURES = path.join(REPO_ROOT, "proxy", "__tests__", "fixtures");

/** A fresh migrated database file in its own temporary folder. */
export function tempDatabase(): { file: string; dir: string; db: Db; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-test-"));
  const file = path.join(dir, "portcullis.db");
  const db = openMigratedDb(file, MIGRATIONS);
  return {
    file,
    dir,
    db,
    cleanup: () => {
      try {
        db.$client.close();
      } catch {
        // already closed
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Environment for a child process: only what the test sets, plus PATH/HOME. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? os.tmpdir(),
    NODE_ENV: "test",
    PORTCULLIS_LOG_LEVEL: "warn",
    ...extra,
  } as NodeJS.ProcessEnv;
}

/** An SDK client talking to `portcullis run …` over stdio. */
export async function connectStdio(
  args: string[],
  env: Record<string, string>,
  options: { capabilities?: Record<string, unknown> } = {},
): Promise<{ client: Client; transport: StdioClientTransport; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_BUNDLE, "run", ...args],
    env: childEnv(env) as Record<string, string>,
    stderr: "pipe",
  });
  let err = "";
  transport.stderr?.on("data", (c: Buffer) => {
    err += c.toString("utf8");
  });
  const client = new Client(
    { name: "portcullis-test", version: "0.0.0" },
    { capabilities: options.capabilities ?? {} },
  );
  await client.connect(transport);
  return { client, transport, stderr: () => err };
}

/** An SDK client talking to a gateway endpoint with a bearer key. */
export async function connectHttp(
  url: string,
  key: string,
  options: { capabilities?: Record<string, unknown> } = {},
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  const client = new Client(
    { name: "portcullis-test", version: "0.0.0" },
    { capabilities: options.capabilities ?? {} },
  );
  await client.connect(transport);
  return { client, transport };
}

/** `portcullis serve` as a child process on an ephemeral port; resolves once it listens. */
export async function spawnGateway(
  dbFile: string,
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void>; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI_BUNDLE, "serve", "--port", "0"], {
    env: childEnv({ PORTCULLIS_DB: dbFile, PORTCULLIS_LOG_LEVEL: "info", ...env }),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${err}`)), 20_000);
    child.stderr?.on("data", (c: Buffer) => {
      err += c.toString("utf8");
      const m = /listening on (http:\/\/[^\s]+)/.exec(err);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}:\n${err}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    await exited;
  };
  return { url, child, stop, stderr: () => err };
}

export function auditRows(db: Db): AuditEvent[] {
  return db.$client
    .prepare("SELECT * FROM audit_events ORDER BY seq")
    .all()
    .map((raw) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(raw as Record<string, unknown>))
        out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
      return out as AuditEvent;
    });
}

/** Polls until `check` returns a truthy value (outcome rows are written in batches). */
export async function eventually<T>(
  check: () => T | undefined | null | false,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs a CLI command to completion. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BUNDLE, ...args], {
      env: childEnv(env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/** The value, or a test failure naming what was missing. */
export function must<T>(value: T | null | undefined, what = "value"): T {
  if (value === null || value === undefined) throw new Error(`expected a ${what}`);
  return value;
}

/**
 * The "payments" server: the recording fixture (each call it receives is appended to
 * `recordFile`) under a policy that holds `record` calls with `n` over 100 for a human.
 */
export function insertPaymentsServer(db: Db, recordFile: string, ruleExtra = ""): Upstream {
  const up = insertUpstream(db, {
    name: "payments",
    command: process.execPath,
    args: [path.join(FIXTURES, "recording-server.mjs")],
    env: { RECORD_FILE: recordFile },
  });
  insertPolicyVersion(
    db,
    up.id,
    `version: "1"
tools:
  record:
    rules:
      - name: big numbers need a human
        action: require_approval
        conditions: [{ path: args.n, op: gt, value: 100 }]
${ruleExtra}`,
  );
  return up;
}
