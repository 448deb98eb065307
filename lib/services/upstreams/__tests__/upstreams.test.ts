import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { auditEvents } from "@/db/schema";
import { createTestDb, testContext } from "@/lib/testing";
import { createUpstream, listUpstreams, toUpstreamView } from "..";

const editor = { type: "user", userId: "usr_e", label: "e@test", role: "editor" } as const;

describe("createUpstream", () => {
  it("stores a stdio server as an executable and an argument array", () => {
    const db = createTestDb();
    const row = createUpstream(testContext(db), {
      name: "everything",
      transport: "stdio",
      command: "node",
      args: ["node_modules/.bin/mcp-server-everything", "stdio; rm -rf /"],
      env: { API_TOKEN: "s3cret-value" },
    });
    expect(row.args).toEqual(["node_modules/.bin/mcp-server-everything", "stdio; rm -rf /"]);
    const audit = db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "upstream.create"))
      .get();
    expect(audit?.server).toBe("everything");
    expect(audit?.detail).toContain("API_TOKEN");
    expect(audit?.detail).not.toContain("s3cret-value");
    expect(JSON.stringify(toUpstreamView(row))).not.toContain("s3cret-value");
  });

  it.each([
    [{ command: "node; rm -rf /" }, /shell characters/],
    [{ command: "bash -c evil" }, /shell characters/],
    [{ command: "$(curl x)" }, /shell characters/],
    [{ command: "node", env: { LD_PRELOAD: "/tmp/x.so" } }, /not allowed/],
    [{ command: "node", env: { NODE_OPTIONS: "--require /tmp/x.js" } }, /not allowed/],
    [{ command: undefined }, /Command is required/],
    [{ command: "node", name: "Bad Name" }, /slug/],
  ])("refuses %o", (patch, message) => {
    const db = createTestDb();
    expect(() =>
      createUpstream(testContext(db), { name: "srv", transport: "stdio", ...patch }),
    ).toThrow(message);
  });

  it("checks http servers' URL and headers", () => {
    const db = createTestDb();
    expect(() => createUpstream(testContext(db), { name: "a", transport: "http" })).toThrow(
      /URL is required/,
    );
    expect(() =>
      createUpstream(testContext(db), { name: "a", transport: "http", url: "file:///etc/passwd" }),
    ).toThrow(/http or https/);
    expect(() =>
      createUpstream(testContext(db), {
        name: "a",
        transport: "http",
        url: "https://u:p@h.example/mcp",
      }),
    ).toThrow(/credentials/);
    expect(() =>
      createUpstream(testContext(db), {
        name: "a",
        transport: "http",
        url: "https://h.example/mcp",
        headers: { "X-A": "a\r\nB: c" },
      }),
    ).toThrow(/line breaks/);
    const ok = createUpstream(testContext(db), {
      name: "remote",
      transport: "http",
      url: "https://h.example/mcp",
      headers: { Authorization: "Bearer t" },
    });
    expect(ok.url).toBe("https://h.example/mcp");
  });

  it("is admin-only and refuses duplicate names", () => {
    const db = createTestDb();
    expect(() =>
      createUpstream(testContext(db, editor), { name: "a", transport: "stdio", command: "node" }),
    ).toThrow(/admin role/);
    createUpstream(testContext(db), { name: "a", transport: "stdio", command: "node" });
    expect(() =>
      createUpstream(testContext(db), { name: "a", transport: "stdio", command: "node" }),
    ).toThrow(/already exists/);
    expect(listUpstreams(testContext(db, editor))).toHaveLength(1);
  });
});
