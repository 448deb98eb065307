import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { auditEvents, policies, policyVersions } from "@/db/schema";
import { AppError } from "@/lib/core/errors";
import { readConfigVersion } from "@/lib/services/config-version";
import { testContext } from "@/lib/testing";
import { activatePolicyVersion, getActivePolicy, listPolicyVersions, savePolicy } from "..";
import { BAD, GOOD, setup } from "./fixtures";

const viewer = { type: "user", userId: "u", label: "v", role: "viewer" } as const;
const editor = { type: "user", userId: "u2", label: "e@x", role: "editor" } as const;

describe("savePolicy", () => {
  it("saves version 1, activates it, bumps the config version and audits save + activate", () => {
    const { db, upstream } = setup();
    const v0 = readConfigVersion(db);
    const res = savePolicy(testContext(db, editor), {
      upstreamId: upstream.id,
      yaml: GOOD,
      comment: "first",
    });
    expect(res.version.version).toBe(1);
    expect(res.version.author).toBe("e@x");
    expect(res.policy.activeVersionId).toBe(res.version.id);
    expect(readConfigVersion(db)).toBe(v0 + 1);
    const rows = db
      .select()
      .from(auditEvents)
      .all()
      .map((r) => r.action);
    expect(rows).toEqual(expect.arrayContaining(["policy.save", "policy.activate"]));
    const active = getActivePolicy(testContext(db, viewer), { server: "everything" });
    expect(active.yaml).toBe(GOOD);
    expect(active.version?.version).toBe(1);
  });

  it("refuses an invalid document with every error and its line:column, and activates nothing", () => {
    const { db, upstream } = setup();
    savePolicy(testContext(db), { upstreamId: upstream.id, yaml: GOOD });
    const v = readConfigVersion(db);
    let err: unknown;
    try {
      savePolicy(testContext(db), { upstreamId: upstream.id, yaml: BAD });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    const e = err as AppError;
    expect(e.code).toBe("VALIDATION");
    const errors = (e.details as { errors: { line?: number; column?: number; message: string }[] })
      .errors;
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(errors.map((x) => x.message).join("\n")).toMatch(/version must be "1"/);
    expect(errors.map((x) => x.message).join("\n")).toMatch(/default must be "allow" or "deny"/);
    expect(errors.map((x) => x.message).join("\n")).toMatch(/deny rules must not have conditions/);
    expect(errors.every((x) => typeof x.line === "number" && typeof x.column === "number")).toBe(
      true,
    );
    expect(e.message).toMatch(/line 1:\d+/);
    expect(db.select().from(policyVersions).all()).toHaveLength(1);
    expect(readConfigVersion(db)).toBe(v);
  });

  it("numbers versions upwards; activate:false keeps the version in force; rollback works", () => {
    const { db, upstream } = setup();
    const one = savePolicy(testContext(db), { upstreamId: upstream.id, yaml: GOOD });
    const two = savePolicy(testContext(db), {
      upstreamId: upstream.id,
      yaml: GOOD.replace("5/minute", "9/minute"),
      activate: false,
    });
    expect(two.version.version).toBe(2);
    expect(db.select().from(policies).get()?.activeVersionId).toBe(one.version.id);
    activatePolicyVersion(testContext(db), { policyVersionId: two.version.id });
    expect(db.select().from(policies).get()?.activeVersionId).toBe(two.version.id);
    activatePolicyVersion(testContext(db), { policyVersionId: one.version.id });
    const activations = db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "policy.activate"))
      .all();
    expect(activations).toHaveLength(3);
    expect(JSON.parse(activations[2]?.detail ?? "{}")).toMatchObject({
      before: { activeVersion: 2 },
      after: { activeVersion: 1 },
    });
    expect(
      listPolicyVersions(testContext(db), upstream.id).map((v) => [v.version, v.active]),
    ).toEqual([
      [2, false],
      [1, true],
    ]);
  });

  it("refuses viewers and passes the seed's system actor", () => {
    const { db, upstream } = setup();
    expect(() =>
      savePolicy(testContext(db, viewer), { upstreamId: upstream.id, yaml: GOOD }),
    ).toThrow(/editor role/);
    expect(
      savePolicy(testContext(db, { type: "system", job: "seed" }), {
        upstreamId: upstream.id,
        yaml: GOOD,
      }).version.author,
    ).toBe("seed");
  });
});
