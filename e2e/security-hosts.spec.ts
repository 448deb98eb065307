import fs from "node:fs";
import path from "node:path";

import { getWithHost as request } from "../lib/testing/host-request";
import { expect, test } from "./fixtures";
import { E2E } from "./settings";

// DNS rebinding: a page on attacker.example whose name resolves to 127.0.0.1 sends that name as
// its Host. The console must not answer it, on any path.
test("the console refuses a host name it is not served under, and answers its own", async () => {
  for (const p of ["/console/sign-in", "/api/v1/auth/me", "/"]) {
    const foreign = await request(E2E.consolePort, p, `attacker.example:${E2E.consolePort}`);
    expect(foreign.status, p).toBe(403);
    expect(foreign.body).toMatch(/does not answer to that host name/);
  }
  for (const host of [`127.0.0.1:${E2E.consolePort}`, `localhost:${E2E.consolePort}`])
    expect((await request(E2E.consolePort, "/console/sign-in", host)).status, host).toBe(200);
});

test("the database and its WAL are private to the account that runs Portcullis", () => {
  for (const f of [E2E.dbFile, `${E2E.dbFile}-wal`, `${E2E.dbFile}-shm`]) {
    expect(fs.existsSync(f), f).toBe(true);
    expect(fs.statSync(f).mode & 0o777, path.basename(f)).toBe(0o600);
  }
});
