import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { afterEach, describe, expect, it } from "vitest";

import { REPO_ROOT } from "@/lib/testing";

type Guard = {
  allowedHosts: (env: Record<string, string | undefined>) => Set<string>;
  refuseForeignHost: (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    allowed: Set<string>,
  ) => boolean;
};
const guard = (await import(
  pathToFileURL(path.join(REPO_ROOT, "scripts", "lib", "host-guard.mjs")).href
)) as Guard;

let server: http.Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

/** A server that puts the console's guard in front of a handler, as scripts/console-server.mjs does. */
async function guarded(env: Record<string, string | undefined>): Promise<number> {
  const hosts = guard.allowedHosts(env);
  server = http.createServer((req, res) => {
    if (guard.refuseForeignHost(req, res, hosts)) return;
    res.end("served by the console");
  });
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

/** A GET whose Host header is `host` (what a browser sends for a rebound name), or none at all. */
function get(port: number, host: string | null): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: "127.0.0.1",
      port,
      path: "/api/v1/auth/sign-in",
      setHost: false,
    });
    if (host !== null) req.setHeader("host", host);
    req.on("response", (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("console Host allow-list (DNS rebinding)", () => {
  it("answers loopback names and the bind address, with or without a port, and refuses the rest", async () => {
    const port = await guarded({});
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, "LOCALHOST", `[::1]:${port}`])
      expect((await get(port, host)).status, host).toBe(200);
    for (const host of [
      `evil.example:${port}`,
      "evil.example",
      `127.0.0.1.evil.example:${port}`,
      "localhost.evil.example",
      `0.0.0.0:${port}`,
      "",
    ]) {
      const res = await get(port, host);
      expect(res.status, host).toBe(403);
      expect(res.body).not.toContain("served by");
    }
    // Without a Host header at all, Node's own HTTP/1.1 parser refuses the request first.
    const none = await get(port, null);
    expect([400, 403]).toContain(none.status);
    expect(none.body).not.toContain("served by");
  });

  it("adds PORTCULLIS_ALLOWED_HOSTS and the bind address to the names it answers to", async () => {
    const port = await guarded({
      PORTCULLIS_HOST: "10.1.2.3",
      PORTCULLIS_ALLOWED_HOSTS: "Console.Example.com, ops.internal",
    });
    for (const host of [
      "console.example.com",
      `ops.internal:${port}`,
      "10.1.2.3:7300",
      "localhost",
    ])
      expect((await get(port, host)).status, host).toBe(200);
    expect((await get(port, "example.com")).status).toBe(403);
  });

  it("the bind address may be an IPv6 literal", () => {
    expect(guard.allowedHosts({ PORTCULLIS_HOST: "fd00::1" }).has("[fd00::1]")).toBe(true);
  });
});
