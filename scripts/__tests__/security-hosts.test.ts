import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { afterEach, describe, expect, it } from "vitest";

import { REPO_ROOT } from "@/lib/testing";
import { getWithHost } from "@/lib/testing/host-request";

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

const get = (port: number, host: string | null) => getWithHost(port, "/api/v1/auth/sign-in", host);

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
