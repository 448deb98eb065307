import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { auditEvents, policyVersions } from "@/db/schema";
import { AppError } from "@/lib/core/errors";
import { parsePolicy } from "@/lib/core/policy";
import { recordToolListing } from "@/lib/services/inventory";
import { testContext } from "@/lib/testing";
import {
  getPolicyVersion,
  listPolicySummaries,
  renderStarterPolicyForUpstream,
  savePolicy,
  validatePolicy,
} from "..";
import { createUpstream } from "../../upstreams";
import { BAD, GOOD, setup } from "./fixtures";

const viewer = { type: "user", userId: "usr_v", label: "v@test", role: "viewer" } as const;
const anonymous = { type: "anonymous" } as const;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.code : "not an AppError";
  }
  return undefined;
}

describe("validatePolicy", () => {
  it("accepts a valid draft and writes nothing", () => {
    const { db } = setup();
    const before = db.select().from(auditEvents).all().length;
    expect(validatePolicy(testContext(db, viewer), { yaml: GOOD })).toEqual({
      ok: true,
      errors: [],
      warnings: [],
    });
    expect(db.select().from(auditEvents).all()).toHaveLength(before);
  });

  it("returns every problem with its line and column", () => {
    const { db } = setup();
    const result = validatePolicy(testContext(db, viewer), { yaml: BAD });
    expect(result.ok).toBe(false);
    const messages = result.errors.map((e) => e.message).join("\n");
    expect(messages).toMatch(/version must be "1"/);
    expect(messages).toMatch(/default must be "allow" or "deny"/);
    expect(messages).toMatch(/deny rules must not have conditions/);
    expect(result.errors.find((e) => /version/.test(e.message))).toMatchObject({ line: 1 });
    expect(result.errors.find((e) => /default/.test(e.message))).toMatchObject({ line: 2 });
    expect(
      result.errors.every((e) => typeof e.line === "number" && typeof e.column === "number"),
    ).toBe(true);
  });

  it("reports YAML syntax errors with a location", () => {
    const { db } = setup();
    const result = validatePolicy(testContext(db), { yaml: 'version: "1"\ntools: [unclosed\n' });
    expect(result.ok).toBe(false);
    expect(result.errors[0]?.line).toBeGreaterThan(0);
  });

  it("refuses anonymous callers", () => {
    const { db } = setup();
    expect(code(() => validatePolicy(testContext(db, anonymous), { yaml: GOOD }))).toBe(
      "UNAUTHENTICATED",
    );
  });
});

describe("renderStarterPolicyForUpstream", () => {
  it("renders a loadable default-deny policy from the recorded inventory, without quarantined tools", () => {
    const { db, upstream } = setup();
    const now = Date.now();
    const echo = {
      name: "echo",
      description: "Echoes the input back",
      inputSchema: { type: "object", properties: { message: { type: "string" } } },
    };
    const wipe = {
      name: "delete-everything",
      description: "Deletes every record",
      inputSchema: { type: "object" },
    };
    recordToolListing(db, {
      upstreamId: upstream.id,
      server: upstream.name,
      tools: [echo, wipe],
      now,
      source: "gateway",
    });
    recordToolListing(db, {
      upstreamId: upstream.id,
      server: upstream.name,
      tools: [echo, { ...wipe, description: "Changed" }],
      now: now + 1,
      source: "gateway",
    });
    const { yaml, tools } = renderStarterPolicyForUpstream(testContext(db, viewer), upstream.id);
    expect(tools).toBe(1);
    const parsed = parsePolicy(yaml);
    expect(parsed.ok).toBe(true);
    expect(yaml).toContain("default: deny");
    expect(yaml).toContain("echo:");
    expect(yaml).not.toContain("delete-everything");
    expect(db.select().from(policyVersions).all()).toHaveLength(0);
  });

  it("refuses anonymous callers and unknown servers", () => {
    const { db, upstream } = setup();
    expect(
      code(() => renderStarterPolicyForUpstream(testContext(db, anonymous), upstream.id)),
    ).toBe("UNAUTHENTICATED");
    expect(code(() => renderStarterPolicyForUpstream(testContext(db), "ups_missing"))).toBe(
      "NOT_FOUND",
    );
  });
});

describe("getPolicyVersion and listPolicySummaries", () => {
  it("returns any saved version with its YAML, and each server's active and newest version", () => {
    const { db, upstream } = setup();
    createUpstream(testContext(db), {
      name: "empty",
      transport: "http",
      url: "https://mcp.example.com",
    });
    const first = savePolicy(testContext(db), {
      upstreamId: upstream.id,
      yaml: GOOD,
      comment: "first",
    });
    const second = savePolicy(testContext(db), {
      upstreamId: upstream.id,
      yaml: GOOD.replace("5/minute", "6/minute"),
      activate: false,
    });

    const v1 = getPolicyVersion(testContext(db, viewer), first.version.id);
    expect(v1).toMatchObject({
      version: 1,
      active: true,
      comment: "first",
      server: "everything",
      upstreamId: upstream.id,
      yaml: GOOD,
    });

    const summaries = listPolicySummaries(testContext(db, viewer));
    expect(summaries.map((s) => s.server)).toEqual(["empty", "everything"]);
    expect(summaries[0]).toMatchObject({ policyId: null, versions: 0, active: null, latest: null });
    expect(summaries[1]).toMatchObject({
      versions: 2,
      active: { version: 1, active: true },
      latest: { id: second.version.id, version: 2, active: false },
    });
    expect(
      db.select().from(auditEvents).where(eq(auditEvents.action, "policy.save")).all(),
    ).toHaveLength(2);
  });

  it("refuses anonymous callers and unknown versions", () => {
    const { db } = setup();
    expect(code(() => getPolicyVersion(testContext(db), "pv_missing"))).toBe("NOT_FOUND");
    expect(code(() => getPolicyVersion(testContext(db, anonymous), "pv_missing"))).toBe(
      "UNAUTHENTICATED",
    );
    expect(code(() => listPolicySummaries(testContext(db, anonymous)))).toBe("UNAUTHENTICATED");
  });
});
