import { describe, expect, it } from "vitest";

import { loadPolicy } from "@/lib/core/policy";
import everything from "@/lib/core/risk/fixtures/server-everything.tools.json";
import { AppError } from "@/lib/core/errors";
import { decideToolCall } from "@/lib/services/enforcement";
import { loadAgentGrants } from "@/lib/services/gateway/loaders";
import { recordToolListing } from "@/lib/services/inventory";
import { createTestDb, testContext } from "@/lib/testing";
import {
  insertAgent,
  insertGrant,
  insertPolicyVersion,
  insertUpstream,
} from "@/lib/testing/factories";
import { getEffectivePermissions } from "..";

const viewer = { type: "user", userId: "u", label: "v", role: "viewer" } as const;

const POLICY = `version: "1"
default: deny
hide: [get-env]
tools:
  echo:
  get-sum:
    rules:
      - name: sum cap
        rate_limit: 5/hour
  trigger-long-running-operation:
    rules:
      - name: a person decides
        action: require_approval
  toggle-*:
    rules:
      - action: deny
`;

function setup() {
  const db = createTestDb();
  const agent = insertAgent(db, { name: "reporter" });
  const upstream = insertUpstream(db, { name: "everything" });
  const version = insertPolicyVersion(db, upstream.id, POLICY);
  recordToolListing(db, {
    upstreamId: upstream.id,
    server: "everything",
    tools: everything,
    now: Date.now(),
    source: "gateway",
  });
  return { db, agent, upstream, version };
}

describe("getEffectivePermissions", () => {
  it("lists every inventory tool with the decision the gateway then makes", () => {
    const { db, agent, upstream, version } = setup();
    const expiresAt = new Date(Date.now() + 3_600_000);
    insertGrant(db, {
      agentId: agent.id,
      upstreamId: upstream.id,
      toolPattern: "get-tiny-image",
      expiresAt,
    });
    const view = getEffectivePermissions(testContext(db, viewer), {
      agentId: agent.id,
      server: "everything",
    });
    expect(view.policy).toEqual({ versionId: version.id, version: version.version });
    expect(view.tools.map((t) => t.tool)).toEqual(everything.map((t) => t.name).sort());
    const byName = Object.fromEntries(view.tools.map((t) => [t.tool, t]));
    expect(byName["get-tiny-image"]).toMatchObject({
      decision: "allowed",
      visible: true,
      decidedBy: { kind: "grant", effect: "allow" },
      expiresAt: expiresAt.toISOString(),
    });
    expect(byName["get-env"]).toMatchObject({ decision: "denied", visible: false });
    expect(byName["get-sum"]?.limits).toEqual([
      { rule: "sum cap", text: "calls at most 5 per hour", scope: "agent" },
    ]);

    // The same engine: a real decision for each tool agrees with the listed verdict.
    const loaded = loadPolicy(POLICY);
    if (!loaded.ok) throw new Error("policy");
    const expected = { allowed: "allow", denied: "deny", approval: "pending" } as const;
    for (const t of view.tools) {
      if (t.decision === "conditional") continue;
      const verdict = decideToolCall(db, {
        snapshot: loaded.snapshot,
        policyVersion: version.id,
        server: "everything",
        upstreamId: upstream.id,
        tool: t.tool,
        arguments: {},
        identity: { agentId: agent.id, keyId: null, label: agent.name },
        grants: loadAgentGrants(db, agent.id, upstream.id),
        toolDefinition: {
          inputSchema: everything.find((e) => e.name === t.tool)?.inputSchema,
        },
        source: "gateway",
        requestId: null,
        now: Date.now(),
      });
      expect(verdict.kind, t.tool).toBe(expected[t.decision]);
    }
  });

  it("without an active policy, refuses every ungranted tool as the gateway does", () => {
    const db = createTestDb();
    const agent = insertAgent(db);
    const upstream = insertUpstream(db, { name: "bare" });
    recordToolListing(db, {
      upstreamId: upstream.id,
      server: "bare",
      tools: [{ name: "echo" }],
      now: Date.now(),
      source: "gateway",
    });
    const view = getEffectivePermissions(testContext(db, viewer), {
      agentId: agent.id,
      server: "bare",
    });
    expect(view.policy).toBeNull();
    expect(view.tools).toMatchObject([{ tool: "echo", decision: "denied", visible: false }]);
  });

  it("needs a signed-in user and existing agent and server", () => {
    const { db, agent } = setup();
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        if (err instanceof AppError) return err.code;
        throw err;
      }
      return "OK";
    };
    expect(
      codeOf(() =>
        getEffectivePermissions(testContext(db, { type: "anonymous" }), {
          agentId: agent.id,
          server: "everything",
        }),
      ),
    ).toBe("UNAUTHENTICATED");
    expect(
      codeOf(() =>
        getEffectivePermissions(testContext(db, viewer), {
          agentId: "agt_nope",
          server: "everything",
        }),
      ),
    ).toBe("NOT_FOUND");
    expect(
      codeOf(() =>
        getEffectivePermissions(testContext(db, viewer), { agentId: agent.id, server: "nope" }),
      ),
    ).toBe("NOT_FOUND");
  });
});
