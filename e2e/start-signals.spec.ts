import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect, test } from "@playwright/test";

import { alive, cmdline, portOpen, procStat } from "./processes";
import { E2E } from "./settings";

// `npm start` itself (npm → start script → console, gateway → upstreams) on its own ports and
// database; a signal sent to the npm process, even SIGKILL, must stop every process it started.
const CONSOLE_PORT = E2E.spareConsolePort;
const GATEWAY_PORT = E2E.spareGatewayPort;

/** Every live process below `root`, found through the parent links in /proc. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const s = procStat(pid);
    if (s && s.state !== "Z") children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

// SIGKILL reaches npm alone: the start script notices it was re-parented and stops the rest.
for (const signal of ["SIGTERM", "SIGINT", "SIGKILL"] as const) {
  test(`${signal} sent to the npm start process stops the console, the gateway and every upstream`, async () => {
    test.setTimeout(120_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-signals-"));
    const npm = spawn("npm", ["start"], {
      cwd: E2E.root,
      env: {
        ...process.env,
        PORTCULLIS_DB: path.join(dir, "portcullis.db"),
        PORTCULLIS_CONSOLE_PORT: String(CONSOLE_PORT),
        PORTCULLIS_GATEWAY_PORT: String(GATEWAY_PORT),
        PORTCULLIS_ADMIN_PASSWORD: "another long password",
        PORTCULLIS_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group: nothing this runner does reaches it except the signal under test.
      detached: true,
    });
    const npmPid = npm.pid ?? 0;
    let output = "";
    npm.stdout.on("data", (d: Buffer) => (output += d.toString()));
    npm.stderr.on("data", (d: Buffer) => (output += d.toString()));
    let started: number[] = [];
    try {
      await expect.poll(() => output, { timeout: 90_000 }).toContain("Portcullis is running");
      // A tools/list starts the demo upstream (server-everything) under the gateway.
      const key = fs.readFileSync(path.join(dir, "demo-agent.key"), "utf8").trim();
      const res = await fetch(`http://127.0.0.1:${GATEWAY_PORT}/mcp/everything`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${key}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2025-11-25",
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: {
            protocolVersion: "2025-11-25",
            capabilities: {},
            clientInfo: { name: "signals", version: "1" },
          },
        }),
      });
      expect(res.status).toBe(200);
      await expect
        .poll(() => descendants(npmPid).some((p) => cmdline(p).includes("server-everything")))
        .toBe(true);
      started = descendants(npmPid);
      const names = started.map(cmdline).join("\n");
      expect(names).toContain("scripts/start.mjs");
      expect(names).toContain("scripts/console-server.mjs");
      expect(names).toContain("bin/portcullis.mjs serve");

      process.kill(npmPid, signal);
      await expect
        .poll(() => [npmPid, ...started].filter(alive).map((p) => `${p} ${cmdline(p)}`), {
          timeout: 20_000,
        })
        .toEqual([]);
      expect(await portOpen(CONSOLE_PORT)).toBe(false);
      expect(await portOpen(GATEWAY_PORT)).toBe(false);
    } finally {
      for (const p of [npmPid, ...started].filter(alive)) {
        try {
          process.kill(p, "SIGKILL");
        } catch {
          // gone
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
