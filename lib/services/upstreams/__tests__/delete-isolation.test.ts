import { describe, expect, it } from "vitest";

import { auditEvents, tools } from "@/db/schema";
import { readConfigVersion } from "@/lib/services/config-version";
import { recordToolListing } from "@/lib/services/inventory";
import { savePolicy } from "@/lib/services/policies";
import { createTestDb, testContext } from "@/lib/testing";
import { insertAgent, insertGrant } from "@/lib/testing/factories";
import {
  createUpstream,
  deleteUpstream,
  getUpstreamByName,
  toUpstreamView,
  updateUpstream,
} from "..";

const editor = { type: "user", userId: "usr_e", label: "e@test", role: "editor" } as const;
const stdio = { transport: "stdio", command: "node", env: { TOKEN: "secret-value" } } as const;

describe("isolation", () => {
  it("defaults to shared, can be chosen at creation and changed, and is audited", () => {
    const db = createTestDb();
    const ctx = testContext(db);
    expect(createUpstream(ctx, { name: "a", ...stdio }).isolation).toBe("shared");
    const b = createUpstream(ctx, { name: "b", ...stdio, isolation: "session" });
    expect(toUpstreamView(b).isolation).toBe("session");
    updateUpstream(ctx, { upstreamId: b.id, isolation: "shared" });
    expect(getUpstreamByName(db, "b")?.isolation).toBe("shared");
    const update = db
      .select()
      .from(auditEvents)
      .all()
      .find((r) => r.action === "upstream.update");
    expect(JSON.parse(update?.detail ?? "{}")).toMatchObject({ changedFields: ["isolation"] });
    expect(() =>
      createUpstream(ctx, { name: "c", ...stdio, isolation: "pooled" as never }),
    ).toThrow(/Connection must be/);
  });
});

describe("deleteUpstream", () => {
  it("deletes a server without history, with its inventory, and audits upstream.delete", () => {
    const db = createTestDb();
    const up = createUpstream(testContext(db), { name: "gone", ...stdio });
    recordToolListing(db, {
      upstreamId: up.id,
      server: "gone",
      tools: [{ name: "echo", inputSchema: { type: "object" } }],
      now: Date.now(),
      source: "gateway",
    });
    const v0 = readConfigVersion(db);
    deleteUpstream(testContext(db), { upstreamId: up.id });
    expect(getUpstreamByName(db, "gone")).toBeUndefined();
    expect(db.select().from(tools).all()).toEqual([]);
    expect(readConfigVersion(db)).toBe(v0 + 1);
    const row = db.select().from(auditEvents).all().at(-1);
    expect(row).toMatchObject({ action: "upstream.delete", server: "gone", targetId: up.id });
    expect(JSON.parse(row?.detail ?? "{}")).toMatchObject({
      before: { name: "gone", envNames: ["TOKEN"] },
      after: null,
      toolsRemoved: 1,
    });
    expect(row?.detail).not.toContain("secret-value");
    createUpstream(testContext(db), { name: "gone", ...stdio });
  });

  it("refuses a server with policy versions or grants (CONFLICT) and leaves it in place", () => {
    const db = createTestDb();
    const ctx = testContext(db);
    const withPolicy = createUpstream(ctx, { name: "p", ...stdio });
    savePolicy(ctx, { upstreamId: withPolicy.id, yaml: 'version: "1"\ndefault: allow\n' });
    const withGrant = createUpstream(ctx, { name: "g", ...stdio });
    insertGrant(db, { agentId: insertAgent(db).id, upstreamId: withGrant.id, toolPattern: "*" });
    const before = db.select().from(auditEvents).all().length;
    expect(() => deleteUpstream(ctx, { upstreamId: withPolicy.id })).toThrow(
      "Server p has 1 saved policy version, which are kept for the record: disable it instead",
    );
    expect(() => deleteUpstream(ctx, { upstreamId: withGrant.id })).toThrow(/has 1 grant/);
    expect(getUpstreamByName(db, "p")).toBeDefined();
    expect(getUpstreamByName(db, "g")).toBeDefined();
    expect(db.select().from(auditEvents).all()).toHaveLength(before);
  });

  it("is for admins only, and NOT_FOUND for an unknown id", () => {
    const db = createTestDb();
    const up = createUpstream(testContext(db), { name: "x", ...stdio });
    expect(() => deleteUpstream(testContext(db, editor), { upstreamId: up.id })).toThrow(
      /admin role/,
    );
    expect(() => deleteUpstream(testContext(db), { upstreamId: "ups_nope" })).toThrow(
      "server ups_nope does not exist",
    );
  });
});
