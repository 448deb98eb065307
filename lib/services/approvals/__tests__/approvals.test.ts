import { beforeEach, describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { AppError } from "@/lib/core/errors";
import { loadPolicy } from "@/lib/core/policy";
import { decideToolCall } from "@/lib/services/enforcement";
import { createTestDb, testContext } from "@/lib/testing";
import { approvalFingerprint, decideApproval, listApprovals } from "..";

let db: Db;
beforeEach(() => {
  db = createTestDb();
});

const policy = loadPolicy(`version: "1"
tools:
  pay:
    rules:
      - name: human check
        action: require_approval
        approval_timeout: 5m
`);
if (!policy.ok) throw new Error("policy");

const call = (args: Record<string, unknown>, now = Date.now(), agentId = "agt_a") =>
  decideToolCall(db, {
    snapshot: policy.snapshot,
    policyVersion: "pv_1",
    server: "bank",
    upstreamId: null,
    tool: "pay",
    arguments: args,
    identity: { agentId, keyId: null, label: agentId },
    grants: [],
    source: "gateway",
    requestId: "1",
    now,
  });

const as = (role: "viewer" | "editor" | "admin") =>
  testContext(db, { type: "user", userId: `usr_${role}`, label: `${role}@x`, role });

describe("approvals", () => {
  it("fingerprints agent, server, tool, canonical arguments and rule", () => {
    const base = {
      agentId: "a",
      server: "s",
      tool: "t",
      arguments: { x: 1, y: [1, 2] },
      rule: "r",
    };
    expect(approvalFingerprint(base)).toBe(
      approvalFingerprint({ ...base, arguments: { y: [1, 2], x: 1 } }),
    );
    expect(approvalFingerprint(base)).not.toBe(approvalFingerprint({ ...base, agentId: "b" }));
    expect(approvalFingerprint(base)).not.toBe(
      approvalFingerprint({ ...base, arguments: { x: 2, y: [1, 2] } }),
    );
    expect(approvalFingerprint(base)).not.toBe(approvalFingerprint({ ...base, rule: "other" }));
  });

  it("parks a call once, reuses the pending approval for identical retries, and consumes an approval exactly once", () => {
    const first = call({ amount: 10 });
    expect(first.kind).toBe("pending");
    if (first.kind !== "pending") return;
    const retry = call({ amount: 10 });
    expect(retry.kind === "pending" && retry.approval.id).toBe(first.approval.id);
    expect(call({ amount: 10 }, Date.now(), "agt_other").kind === "pending").toBe(true);
    expect(listApprovals(as("viewer"), { status: "pending" })).toHaveLength(2);

    decideApproval(as("editor"), { id: first.approval.id, decision: "approve", comment: "ok" });
    const allowed = call({ amount: 10 });
    expect(allowed.kind).toBe("allow");
    if (allowed.kind !== "allow") return;
    const view = listApprovals(as("viewer")).find((a) => a.id === first.approval.id);
    expect(view).toMatchObject({
      status: "consumed",
      decidedBy: "editor@x",
      comment: "ok",
      consumedByDecisionId: allowed.decisionId,
    });
    const next = call({ amount: 10 });
    expect(next.kind).toBe("pending");
  });

  it("requires the editor role to decide and refuses decided or expired approvals", () => {
    const v = call({ amount: 1 });
    if (v.kind !== "pending") throw new Error("pending expected");
    expect(() => decideApproval(as("viewer"), { id: v.approval.id, decision: "approve" })).toThrow(
      AppError,
    );
    expect(() =>
      decideApproval(testContext(db, { type: "anonymous" }), {
        id: v.approval.id,
        decision: "deny",
      }),
    ).toThrow(/Sign in/);
    expect(() => decideApproval(as("editor"), { id: "apr_missing", decision: "deny" })).toThrow(
      /does not exist/,
    );
    decideApproval(as("editor"), { id: v.approval.id, decision: "deny" });
    expect(() => decideApproval(as("admin"), { id: v.approval.id, decision: "approve" })).toThrow(
      /already denied/,
    );

    const old = call({ amount: 2 });
    if (old.kind !== "pending") throw new Error("pending expected");
    db.$client
      .prepare("UPDATE approvals SET expires_at = ? WHERE id = ?")
      .run(Date.now() - 1, old.approval.id);
    expect(listApprovals(as("viewer"), { status: "expired" }).map((a) => a.id)).toEqual([
      old.approval.id,
    ]);
    expect(() =>
      decideApproval(as("editor"), { id: old.approval.id, decision: "approve" }),
    ).toThrow(/expired/);
  });
});
