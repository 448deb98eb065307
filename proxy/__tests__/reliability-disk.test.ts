import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { verifyChain } from "@/lib/services/audit";
import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import {
  childEnv,
  CLI_BUNDLE,
  connectHttp,
  ensureCliBundle,
  eventually,
  FIXTURES,
  serverEntry,
  tempDatabase,
} from "@/lib/testing/proxy";
import { INITIALIZED_TEXT, initializeText } from "@/lib/testing/raw-mcp";
import { reportFigures, scale } from "@/lib/testing/reliability";
import { type Gateway, startGateway } from "../serve";
import { gatewayTestOptions } from "./helpers";

/*
 * The audit store refuses writes while the gateway serves. A full disk is simulated with SQLite's
 * own limit (`max_page_count` pinned to the file's current size: every write that needs a new
 * page fails with SQLITE_FULL, "database or disk is full", the error a full disk gives); a
 * read-only store with `query_only` (SQLITE_READONLY). Both are set on the gateway's own
 * connection, so the fault hits the real decision path. Calls must be refused with a clear
 * error, nothing may reach the upstream, and service must come back by itself once writes work
 * again. A database file the OS will not let the process write is tested with a real
 * `portcullis run` under a user without write permission.
 */

const CYCLES = scale(2, 40);
const UPSTREAM = path.join(FIXTURES, "logging-upstream.mjs");
const POLICY = `version: "1"\ndefault: allow\naudit:\n  arguments: full\n`;
const REFUSED = /could not be authorized right now/;

type Fault = {
  name: string;
  on: (c: Db["$client"]) => void;
  off: (c: Db["$client"]) => void;
  logged: RegExp;
};

const FAULTS: Fault[] = [
  {
    name: "full disk (max_page_count pinned to the current size)",
    on: (c) => c.pragma(`max_page_count = ${c.pragma("page_count", { simple: true }) as number}`),
    off: (c) => c.pragma("max_page_count = 1073741823"),
    logged: /database or disk is full/,
  },
  {
    name: "read-only store (query_only)",
    on: (c) => c.pragma("query_only = ON"),
    off: (c) => c.pragma("query_only = OFF"),
    logged: /readonly|read-only|query_only/i,
  },
];

let t: ReturnType<typeof tempDatabase>;
let gw: Gateway;
let client: Client;
let recordFile: string;
let marker = 0;
const stderr: string[] = [];
const figures = { faults: 0, refusedDuringFault: 0, servedAfterRecovery: 0 };

beforeAll(async () => {
  await ensureCliBundle();
  t = tempDatabase();
  recordFile = path.join(t.dir, "received.jsonl");
  const up = insertUpstream(t.db, {
    name: "disk",
    command: process.execPath,
    args: [UPSTREAM],
    env: { RECORD_FILE: recordFile },
  });
  insertPolicyVersion(t.db, up.id, POLICY);
  const { key } = insertAgentWithKey(t.db, { name: "disk-agent" });
  gw = await startGateway(gatewayTestOptions(t.db));
  ({ client } = await connectHttp(`${gw.url}/mcp/disk`, key));
}, 60_000);

afterAll(async () => {
  await client?.close().catch(() => {});
  await gw?.close();
  t?.cleanup();
});

const received = () =>
  fs.existsSync(recordFile)
    ? fs
        .readFileSync(recordFile, "utf8")
        .split("\n")
        .filter(Boolean)
        .map(
          (l) =>
            (JSON.parse(l) as { params: { arguments: { fuzz: number } } }).params.arguments.fuzz,
        )
    : [];

const call = async () => {
  const n = ++marker;
  const r = await client.callTool({ name: "echo", arguments: { message: `m${n}`, fuzz: n } });
  return { n, text: JSON.stringify(r.content), isError: r.isError === true };
};

/** Captures the gateway's log lines (stderr) while `fn` runs. */
async function capturingLog<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  }) as typeof process.stderr.write;
  try {
    return await fn();
  } finally {
    process.stderr.write = write;
  }
}

describe("audit storage faults while the gateway serves", () => {
  it.each(FAULTS)(
    "$name: calls refused with a clear error, nothing forwarded, service back without a restart",
    async (fault) => {
      const c = t.db.$client;
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        const ok = await call();
        expect(ok.isError, ok.text).toBe(false);
        const forwardedBefore = received().length;
        const rowsBefore = verifyChain(t.db);
        expect(rowsBefore.ok).toBe(true);

        fault.on(c);
        figures.faults += 1;
        const refused = await capturingLog(async () => {
          // A full file may still have room for a row or two in its last page.
          let first = await call();
          for (let i = 0; i < 200 && !first.isError; i++) first = await call();
          const more = [first, await call(), await call(), await call()];
          return more;
        });
        for (const r of refused) {
          expect(r.isError).toBe(true);
          expect(r.text).toMatch(REFUSED);
        }
        figures.refusedDuringFault += refused.length;
        // Nothing the store refused to record reached the upstream.
        const allowedDuring = refused.map((r) => r.n);
        expect(received().filter((n) => allowedDuring.includes(n))).toEqual([]);
        expect(stderr.join("")).toMatch(fault.logged);

        fault.off(c);
        const back = await call();
        expect(back.isError, back.text).toBe(false);
        figures.servedAfterRecovery += 1;
        await eventually(() => received().includes(back.n));
        expect(received().length).toBeGreaterThan(forwardedBefore);
      }
      // Outcome rows held back during the fault are written once the store accepts them.
      const decided = c
        .prepare(
          "SELECT id FROM audit_events WHERE action = 'tool_call.decide' AND decision = 'allow' AND source = 'gateway'",
        )
        .all() as { id: string }[];
      await eventually(
        () =>
          (
            c
              .prepare(
                "SELECT count(*) AS n FROM audit_events WHERE action = 'tool_call.outcome' AND source = 'gateway'",
              )
              .get() as { n: number }
          ).n >= decided.length,
      );
      expect(verifyChain(t.db).ok).toBe(true);
    },
    scale(60_000, 1_200_000),
  );

  afterAll(() => reportFigures("disk faults (gateway)", figures));
});

describe("a database file the process may not write", () => {
  it("portcullis run refuses to start with a clear error, and starts once the file is writable again", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-ro-"));
    const file = path.join(dir, "portcullis.db");
    t.db.$client.pragma("wal_checkpoint(TRUNCATE)");
    fs.copyFileSync(t.file, file);
    const policy = path.join(dir, "p.yaml");
    fs.writeFileSync(policy, POLICY);
    // root ignores file modes: run the proxy as an unprivileged user then.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const run = () =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            CLI_BUNDLE,
            "run",
            "--policy",
            policy,
            "--",
            process.execPath,
            serverEntry("everything"),
            "stdio",
          ],
          {
            env: childEnv({ PORTCULLIS_DB: file, HOME: dir }),
            stdio: ["pipe", "pipe", "pipe"],
            ...asUser,
          },
        );
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes('"id":2')) child.stdin.end();
        });
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.on("exit", (code) => resolve({ code, out, err }));
        child.stdin.write(
          [
            initializeText("ro"),
            INITIALIZED_TEXT,
            JSON.stringify({
              jsonrpc: "2.0",
              id: 2,
              method: "tools/call",
              params: { name: "echo", arguments: { message: "hi" } },
            }),
          ]
            .map((m) => `${m}\n`)
            .join(""),
        );
        setTimeout(() => child.kill("SIGKILL"), 20_000).unref();
      });
    const modes = (fileMode: number, dirMode: number) => {
      for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), fileMode);
      fs.chmodSync(dir, dirMode);
    };
    modes(0o444, 0o555);
    try {
      const refused = await run();
      expect(refused.code).not.toBe(0);
      expect(refused.err).toMatch(
        /cannot open the database .*permission denied|readonly|read-only/i,
      );
      expect(refused.out).not.toContain('"id":2');
    } finally {
      modes(0o666, 0o777);
    }
    const served = await run();
    fs.rmSync(dir, { recursive: true, force: true });
    expect(served.out).toContain('"id":2');
    expect(served.out).toContain("Echo: hi");
    reportFigures("disk faults (read-only file)", { refusedAtStart: 1, servedAfterFix: 1 });
  }, 60_000);
});
