import fs from "node:fs";
import path from "node:path";

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { decideApproval, listApprovals } from "@/lib/services/approvals";
import { DecisionBatcher, OutcomeWriter } from "@/lib/services/enforcement";
import { updateUpstream } from "@/lib/services/upstreams";
import { testContext } from "@/lib/testing";
import { insertAgentWithKey } from "@/lib/testing/factories";
import { auditRows, eventually, insertPaymentsServer, tempDatabase } from "@/lib/testing/proxy";
import { INITIALIZED_TEXT, initializeText } from "@/lib/testing/raw-mcp";
import { ClientSession } from "../client-session";
import { Enforcer } from "../enforcer";
import { resolveStdioIdentity } from "../identity";
import type { Outbound } from "../jsonrpc";
import { ProxyMetrics } from "../metrics";
import { DbPolicySource } from "../policy-source";
import { UpstreamConnection } from "../upstream/connection";
import { StdioChildLink } from "../upstream/links";

/*
 * A call held for approval is decided again when it is approved, as things are then: a server
 * disabled during the wait refuses it (audited), and nothing of it reaches the upstream or
 * escapes as an unhandled error.
 */

let t: ReturnType<typeof tempDatabase>;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);

beforeAll(() => {
  t = tempDatabase();
  process.on("unhandledRejection", onUnhandled);
});
afterEach(() => {
  unhandled.length = 0;
});
afterAll(() => {
  process.off("unhandledRejection", onUnhandled);
  t?.cleanup();
});

describe("an approved call whose server was disabled while it waited", () => {
  it("is refused and audited, never forwarded, and the client gets its answer", async () => {
    const recordFile = path.join(t.dir, "recorded.jsonl");
    const up = insertPaymentsServer(t.db, recordFile);
    const key = insertAgentWithKey(t.db, { name: "payer" }).key;
    const identity = resolveStdioIdentity(t.db, key, {
      kind: "server",
      server: "payments",
      policy: new DbPolicySource(t.db, "payments", null),
    });
    const policy = new DbPolicySource(t.db, "payments", identity.agentId);
    const metrics = new ProxyMetrics();
    const outcomes = new OutcomeWriter(t.db, 50);
    const enforcer = new Enforcer({
      db: t.db,
      server: "payments",
      source: "stdio",
      identity,
      policy,
      outcomes,
      decisions: new DecisionBatcher(t.db),
      metrics,
      approvalWaitMs: 20_000,
      approvalPollMs: 50,
    });
    const link = new StdioChildLink({
      command: process.execPath,
      args: up.args,
      env: { RECORD_FILE: recordFile },
    });
    const connection = new UpstreamConnection({
      server: "payments",
      mode: "exclusive",
      createLink: () => link,
    });
    const out: Outbound[] = [];
    const session = new ClientSession({
      key: "stdio",
      server: "payments",
      connection,
      enforcer,
      metrics,
      sendDown: (m) => out.push(m),
      timeoutMs: () => policy.current().upstream?.timeoutMs ?? 5_000,
    });
    const answerTo = (id: number | string) =>
      out.find((m) => "id" in m && m.id === id && !("method" in m));
    try {
      await connection.ready();
      session.fromClient(JSON.parse(initializeText("t")));
      await eventually(() => answerTo("init"));
      session.fromClient(JSON.parse(INITIALIZED_TEXT));
      session.fromClient({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "record", arguments: { n: 500 } },
      });
      const admin = testContext(t.db);
      const approval = await eventually(() => listApprovals(admin, { status: "pending" })[0]);
      updateUpstream(admin, { upstreamId: up.id, enabled: false });
      decideApproval(admin, { id: approval.id, decision: "approve" });

      const answer = (await eventually(() => answerTo(1))) as unknown as {
        result: { isError: boolean; content: { text: string }[] };
      };
      expect(answer.result.isError).toBe(true);
      expect(answer.result.content[0]?.text).toContain('Tool "record" could not be authorized');
      const refusal = auditRows(t.db).find(
        (r) => r.action === "message.refuse" && r.tool === "record",
      );
      expect(refusal).toMatchObject({ cause: "internal", server: "payments" });
      expect(refusal?.reason).toMatch(/could not be decided: .*disabled/);
      expect(auditRows(t.db).filter((r) => r.decision === "allow")).toHaveLength(0);
      expect(fs.existsSync(recordFile) ? fs.readFileSync(recordFile, "utf8") : "").toBe("");
      expect(unhandled).toEqual([]);
    } finally {
      session.close();
      outcomes.close();
      policy.close();
      await connection.close();
    }
  });
});
