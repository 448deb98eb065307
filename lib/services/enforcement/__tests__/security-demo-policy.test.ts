import fs from "node:fs";
import path from "node:path";

import { beforeEach, describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { loadPolicy } from "@/lib/core/policy";
import { createTestDb, REPO_ROOT } from "@/lib/testing";
import { auditArguments, decideToolCall } from "..";

const SEEDED = fs.readFileSync(
  path.join(REPO_ROOT, "db", "seed", "everything-policy.yaml"),
  "utf8",
);

let db: Db;
beforeEach(() => {
  db = createTestDb();
});

function echo(message: string) {
  const loaded = loadPolicy(SEEDED);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const verdict = decideToolCall(db, {
    snapshot: loaded.snapshot,
    policyVersion: "pv_seed",
    server: "everything",
    upstreamId: null,
    tool: "echo",
    arguments: { message },
    identity: { agentId: "agt_demo", keyId: "key_demo", label: "demo-agent" },
    grants: [],
    source: "gateway",
    requestId: "1",
    now: Date.now(),
  });
  const row = db.$client
    .prepare("SELECT decision, rule, arguments FROM audit_events ORDER BY seq DESC LIMIT 1")
    .get() as { decision: string; rule: string | null; arguments: string };
  return { verdict, row };
}

describe("seeded demo policy: the credential guard on echo", () => {
  it.each([
    "My PASSWORD is hunter2",
    "my password is hunter2",
    "Secret: hunter2",
    "here is my API-KEY hunter2",
    "TOKEN=hunter2",
    "Passwd hunter2",
  ])("refuses %j whatever its case, and the audit row does not keep it", (message) => {
    const { verdict, row } = echo(message);
    expect(verdict.kind).toBe("deny");
    expect(row).toMatchObject({ decision: "deny", rule: "no credentials in echo" });
    expect(row.arguments).not.toContain("hunter2");
  });

  it("lets an ordinary message through and records it as sent", () => {
    const { verdict, row } = echo("Hello from the demo");
    expect(verdict.kind).toBe("allow");
    expect(JSON.parse(row.arguments)).toEqual({ message: "Hello from the demo" });
  });
});

describe("redacted audit arguments", () => {
  it("mask a credential spelled out in a value, whatever the key or the case", () => {
    const stored = auditArguments(
      { note: "the PASSWORD is hunter2", other: { text: "api_key=hunter2" }, plain: "a token" },
      "redacted",
    );
    expect(stored).not.toContain("hunter2");
    expect(JSON.parse(stored)).toEqual({
      note: "[REDACTED]",
      other: { text: "[REDACTED]" },
      plain: "a token",
    });
  });
});
