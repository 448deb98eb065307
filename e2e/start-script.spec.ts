import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect, test } from "@playwright/test";

import { alive, cmdline, portOpen } from "./processes";
import { E2E } from "./settings";

// A second instance of `npm start` on its own ports and database, to check how it stops.
const CONSOLE_PORT = E2E.spareConsolePort;
const GATEWAY_PORT = E2E.spareGatewayPort;

function startInstance(dbDir: string) {
  const child = spawn(process.execPath, [path.join(E2E.root, "scripts/start.mjs")], {
    cwd: E2E.root,
    env: {
      ...process.env,
      PORTCULLIS_DB: path.join(dbDir, "portcullis.db"),
      PORTCULLIS_CONSOLE_PORT: String(CONSOLE_PORT),
      PORTCULLIS_GATEWAY_PORT: String(GATEWAY_PORT),
      PORTCULLIS_ADMIN_PASSWORD: "another long password",
      PORTCULLIS_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes("Portcullis is running")) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
    child.on("exit", () => {
      clearInterval(timer);
      reject(new Error(`start exited early:\n${output}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, ready, exited, output: () => output };
}

function childPids(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  return fs.readFileSync(file, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
}

test.describe("npm start supervision", () => {
  test.describe.configure({ timeout: 120_000 });
  let dir: string;
  let instance: ReturnType<typeof startInstance> & { child: ChildProcess };

  test.beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-start-"));
    instance = startInstance(dir);
    await instance.ready;
  });

  test.afterEach(async () => {
    if (instance.child.exitCode === null) {
      instance.child.kill("SIGTERM");
      await instance.exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("seeds on the first run and prints the secrets once", () => {
    expect(instance.output()).toContain("Admin password:  (from PORTCULLIS_ADMIN_PASSWORD)");
    expect(instance.output()).toMatch(/Demo agent key:\s+pcs_/);
    expect(fs.statSync(path.join(dir, "demo-agent.key")).mode & 0o777).toBe(0o600);
  });

  test("stops the console when the gateway dies, and says why", async () => {
    const pid = instance.child.pid ?? 0;
    const gateway = childPids(pid).find((p) => cmdline(p).includes("bin/portcullis.mjs"));
    expect(gateway).toBeDefined();
    process.kill(gateway ?? 0, "SIGKILL");
    expect(await instance.exited).toBe(1);
    expect(instance.output()).toMatch(/gateway stopped \(signal SIGKILL\); stopping the rest/);
    await expect.poll(() => portOpen(CONSOLE_PORT)).toBe(false);
  });

  test("the console and the gateway stop by themselves when npm start is killed", async () => {
    const pid = instance.child.pid ?? 0;
    const kids = childPids(pid);
    expect(kids).toHaveLength(2);
    process.kill(pid, "SIGKILL");
    await instance.exited;
    await expect.poll(() => kids.filter(alive).length, { timeout: 15_000 }).toBe(0);
    expect(await portOpen(CONSOLE_PORT)).toBe(false);
    expect(await portOpen(GATEWAY_PORT)).toBe(false);
  });

  test("Ctrl-C shuts both down cleanly", async () => {
    instance.child.kill("SIGINT");
    expect(await instance.exited).toBe(0);
    expect(await portOpen(CONSOLE_PORT)).toBe(false);
    expect(await portOpen(GATEWAY_PORT)).toBe(false);
  });
});
