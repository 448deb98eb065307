import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { auditEvents } from "@/db/schema";
import { AppError } from "@/lib/core/errors";
import { readConfigVersion } from "@/lib/services/config-version";
import { authenticateAgentKey } from "@/lib/services/gateway/authenticate";
import { createTestDb, testContext } from "@/lib/testing";
import {
  createAgent,
  createAgentKey,
  disableAgent,
  enableAgent,
  getAgentOrThrow,
  updateAgent,
} from "..";

const viewer = { type: "user", userId: "usr_v", label: "v@test", role: "viewer" } as const;
const editor = { type: "user", userId: "usr_e", label: "e@test", role: "editor" } as const;

const auditRows = (db: ReturnType<typeof createTestDb>, action: string) =>
  db.select().from(auditEvents).where(eq(auditEvents.action, action)).all();

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.code : "not an AppError";
  }
  return undefined;
}

describe("updateAgent", () => {
  it("renames and re-describes an agent, audits before/after and bumps the config version", () => {
    const db = createTestDb();
    const agent = createAgent(testContext(db), { name: "bot", owner: "ops" });
    const v0 = readConfigVersion(db);
    const after = updateAgent(testContext(db), {
      agentId: agent.id,
      name: "support-bot",
      description: "Answers tickets",
    });
    expect(after).toMatchObject({
      name: "support-bot",
      owner: "ops",
      description: "Answers tickets",
    });
    expect(readConfigVersion(db)).toBe(v0 + 1);
    const [row] = auditRows(db, "agent.update");
    expect(row?.actorLabel).toBe("admin@test");
    expect(JSON.parse(row?.detail ?? "{}")).toMatchObject({
      before: { name: "bot", description: null },
      after: { name: "support-bot", description: "Answers tickets" },
      changedFields: ["name", "description"],
    });
  });

  it("writes nothing when nothing changed", () => {
    const db = createTestDb();
    const agent = createAgent(testContext(db), { name: "bot", owner: "ops" });
    const v0 = readConfigVersion(db);
    updateAgent(testContext(db), { agentId: agent.id, name: "bot", owner: "ops" });
    expect(readConfigVersion(db)).toBe(v0);
    expect(auditRows(db, "agent.update")).toHaveLength(0);
  });

  it("refuses a name another agent has", () => {
    const db = createTestDb();
    createAgent(testContext(db), { name: "taken" });
    const agent = createAgent(testContext(db), { name: "bot" });
    expect(code(() => updateAgent(testContext(db), { agentId: agent.id, name: "taken" }))).toBe(
      "CONFLICT",
    );
  });

  it("refuses viewers and editors before reading anything, and unknown agents", () => {
    const db = createTestDb();
    const agent = createAgent(testContext(db), { name: "bot" });
    expect(code(() => updateAgent(testContext(db, viewer), { agentId: agent.id, name: "x" }))).toBe(
      "FORBIDDEN",
    );
    expect(code(() => updateAgent(testContext(db, editor), { agentId: agent.id, name: "x" }))).toBe(
      "FORBIDDEN",
    );
    expect(code(() => updateAgent(testContext(db), { agentId: "agt_missing", name: "x" }))).toBe(
      "NOT_FOUND",
    );
    expect(auditRows(db, "agent.update")).toHaveLength(0);
  });
});

describe("updateAgent with several changes", () => {
  it("validates the whole input before writing anything", () => {
    const db = createTestDb();
    const agent = createAgent(testContext(db), { name: "bot" });
    const v0 = readConfigVersion(db);
    expect(
      code(() =>
        updateAgent(testContext(db), {
          agentId: agent.id,
          description: "x",
          disabled: "no" as unknown as boolean,
        }),
      ),
    ).toBe("not an AppError"); // a ZodError, answered 400 with its issues
    expect(code(() => updateAgent(testContext(db), { agentId: agent.id }))).toBe("not an AppError");
    expect(getAgentOrThrow(db, agent.id).description).toBeNull();
    expect(readConfigVersion(db)).toBe(v0);
    expect(
      db
        .select()
        .from(auditEvents)
        .all()
        .map((r) => r.action),
    ).toEqual(["agent.create"]);
  });

  it("renames and re-enables in one transaction with one audit row; disabling with a rename is agent.disable", () => {
    const db = createTestDb();
    const agent = createAgent(testContext(db), { name: "bot" });
    disableAgent(testContext(db), { agentId: agent.id });
    const v0 = readConfigVersion(db);
    const after = updateAgent(testContext(db), {
      agentId: agent.id,
      name: "support-bot",
      disabled: false,
    });
    expect(after).toMatchObject({ name: "support-bot", disabledAt: null });
    expect(readConfigVersion(db)).toBe(v0 + 1);
    const updates = auditRows(db, "agent.update");
    expect(updates).toHaveLength(1);
    expect(JSON.parse(updates[0]?.detail ?? "{}")).toMatchObject({
      before: { name: "bot", disabled: true },
      after: { name: "support-bot", disabled: false },
    });

    updateAgent(testContext(db), { agentId: agent.id, description: "Tickets", disabled: true });
    expect(auditRows(db, "agent.update")).toHaveLength(1);
    const disables = auditRows(db, "agent.disable");
    expect(disables).toHaveLength(2);
    expect(JSON.parse(disables[1]?.detail ?? "{}")).toMatchObject({
      after: { description: "Tickets", disabled: true },
    });
  });
});

describe("disableAgent / enableAgent", () => {
  it("disables an agent so its keys are refused, audits agent.disable once, and re-enables", () => {
    const db = createTestDb();
    const agent = createAgent(testContext(db), { name: "bot" });
    const { key } = createAgentKey(testContext(db), { agentId: agent.id, name: "laptop" });
    expect(authenticateAgentKey(db, key, new Date()).agent.id).toBe(agent.id);

    const v0 = readConfigVersion(db);
    const disabled = disableAgent(testContext(db), { agentId: agent.id });
    expect(disabled.disabledAt).not.toBeNull();
    expect(readConfigVersion(db)).toBe(v0 + 1);
    expect(code(() => authenticateAgentKey(db, key, new Date()))).toBe("UNAUTHENTICATED");
    expect(
      code(() => createAgentKey(testContext(db), { agentId: agent.id, name: "another" })),
    ).toBe("CONFLICT");

    disableAgent(testContext(db), { agentId: agent.id });
    const rows = auditRows(db, "agent.disable");
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]?.detail ?? "{}")).toMatchObject({
      before: { disabled: false },
      after: { disabled: true },
    });

    const enabled = enableAgent(testContext(db), { agentId: agent.id });
    expect(enabled.disabledAt).toBeNull();
    expect(authenticateAgentKey(db, key, new Date()).agent.id).toBe(agent.id);
    expect(auditRows(db, "agent.update")).toHaveLength(1);
  });

  it("refuses viewers and editors, and unknown agents", () => {
    const db = createTestDb();
    const agent = createAgent(testContext(db), { name: "bot" });
    expect(code(() => disableAgent(testContext(db, viewer), { agentId: agent.id }))).toBe(
      "FORBIDDEN",
    );
    expect(code(() => disableAgent(testContext(db, editor), { agentId: agent.id }))).toBe(
      "FORBIDDEN",
    );
    expect(code(() => enableAgent(testContext(db, viewer), { agentId: agent.id }))).toBe(
      "FORBIDDEN",
    );
    expect(code(() => disableAgent(testContext(db), { agentId: "agt_missing" }))).toBe("NOT_FOUND");
    expect(auditRows(db, "agent.disable")).toHaveLength(0);
  });
});
