import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { upstreams } from "@/db/schema";
import { verifyChain } from "@/lib/services/audit";
import { bumpConfigVersion } from "@/lib/services/config-version";
import { acceptToolChange, listTools } from "@/lib/services/inventory";
import { testContext } from "@/lib/testing";
import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import {
  auditRows,
  connectHttp,
  ensureCliBundle,
  eventually,
  FIXTURES,
  spawnGateway,
  tempDatabase,
  must,
} from "@/lib/testing/proxy";
import { type Gateway, startGateway } from "../serve";
import { gatewayTestOptions } from "./helpers";

const RECORDER = path.join(FIXTURES, "recording-server.mjs");

let t: ReturnType<typeof tempDatabase>;
let gw: Gateway;

beforeAll(async () => {
  await ensureCliBundle();
  t = tempDatabase();
  gw = await startGateway(gatewayTestOptions(t.db));
});

afterAll(async () => {
  await gw?.close();
  t?.cleanup();
});

const recorder = (name: string, extra: { timeoutMs?: number; env?: Record<string, string> } = {}) =>
  insertUpstream(t.db, {
    name,
    command: process.execPath,
    args: [RECORDER],
    env: { RECORD_FILE: path.join(t.dir, `${name}.jsonl`), ...extra.env },
    ...(extra.timeoutMs ? { timeoutMs: extra.timeoutMs } : {}),
  });

const recorded = (name: string) => {
  const file = path.join(t.dir, `${name}.jsonl`);
  return fs.existsSync(file)
    ? fs
        .readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { tool: string; args: { n?: number }; pid: number })
    : [];
};

const gatewayPids = () =>
  (
    t.db.$client.prepare("SELECT pid FROM instances WHERE kind = 'gateway'").all() as {
      pid: number;
    }[]
  ).map((r) => r.pid);

const counterRows = (decisionId: string) =>
  (
    t.db.$client
      .prepare("SELECT count(*) AS n FROM counter_events WHERE decision_id = ?")
      .get(decisionId) as { n: number }
  ).n;

describe("upstream faults", () => {
  it("times out a hanging upstream, answers with an error and rolls the reservation back", async () => {
    const up = recorder("hangs", { timeoutMs: 400 });
    insertPolicyVersion(
      t.db,
      up.id,
      `version: "1"\ntools:\n  hang:\n    rules:\n      - rate_limit: 5/hour\n`,
    );
    const a = insertAgentWithKey(t.db);
    const { client } = await connectHttp(`${gw.url}/mcp/hangs`, a.key);
    await expect(client.callTool({ name: "hang", arguments: {} })).rejects.toThrow(
      /did not answer within 400 ms/,
    );
    const decision = auditRows(t.db).findLast(
      (r) => r.action === "tool_call.decide" && r.tool === "hang",
    );
    expect(decision?.decision).toBe("allow");
    const outcome = await eventually(() =>
      auditRows(t.db).find(
        (r) => r.correlationId === must(decision).id && r.action === "tool_call.outcome",
      ),
    );
    expect(outcome.outcome).toBe("timeout");
    await eventually(() => counterRows(must(decision).id) === 0);
    expect(recorded("hangs").map((r) => r.tool)).toEqual(["hang"]);
    await client.close();
  });

  it("answers a clear JSON-RPC error when a shared upstream crashes, rolls back, and restarts it for the next call", async () => {
    const up = recorder("crashes");
    insertPolicyVersion(
      t.db,
      up.id,
      `version: "1"\ntools:\n  crash:\n    rules:\n      - rate_limit: 5/hour\n`,
    );
    const a = insertAgentWithKey(t.db);
    const { client } = await connectHttp(`${gw.url}/mcp/crashes`, a.key);
    await expect(client.callTool({ name: "crash", arguments: {} })).rejects.toThrow(
      /Upstream server crashes closed \(exited with status 3\)/,
    );
    const decision = auditRows(t.db).findLast(
      (r) => r.action === "tool_call.decide" && r.tool === "crash",
    );
    const outcome = await eventually(() =>
      auditRows(t.db).find(
        (r) => r.correlationId === must(decision).id && r.action === "tool_call.outcome",
      ),
    );
    expect(outcome.outcome).toBe("upstream_error");
    await eventually(() => counterRows(must(decision).id) === 0);
    const ok = await client.callTool({ name: "record", arguments: { n: 7 } });
    expect(ok.content).toEqual([{ type: "text", text: "recorded 7" }]);
    const pids = new Set(recorded("crashes").map((r) => r.pid));
    expect(pids.size).toBe(2);
    const lifecycle = auditRows(t.db).filter(
      (r) => r.server === "crashes" && r.action.startsWith("upstream."),
    );
    expect(lifecycle.map((r) => r.action)).toEqual(["upstream.crashed", "upstream.restarted"]);
    expect(JSON.parse(must(lifecycle[0]?.detail))).toMatchObject({ inFlight: 1 });
    await client.close().catch(() => {});
  });

  it("keeps an isError result's reservation (the tool ran)", async () => {
    const up = recorder("fails");
    insertPolicyVersion(
      t.db,
      up.id,
      `version: "1"\ntools:\n  fail:\n    rules:\n      - rate_limit: 5/hour\n`,
    );
    const a = insertAgentWithKey(t.db);
    const { client } = await connectHttp(`${gw.url}/mcp/fails`, a.key);
    expect((await client.callTool({ name: "fail", arguments: {} })).isError).toBe(true);
    const decision = auditRows(t.db).findLast(
      (r) => r.action === "tool_call.decide" && r.tool === "fail",
    );
    const outcome = await eventually(() =>
      auditRows(t.db).find(
        (r) => r.correlationId === must(decision).id && r.action === "tool_call.outcome",
      ),
    );
    expect(outcome.outcome).toBe("is_error");
    expect(counterRows(must(decision).id)).toBe(1);
    await client.close();
  });
});

describe("tool pinning", () => {
  it("quarantines a tool whose definition changed, hides and refuses it until accepted", async () => {
    const up = recorder("rugpull", { env: { VARIANT: "1" } });
    insertPolicyVersion(t.db, up.id, `version: "1"\ndefault: allow\n`);
    const a = insertAgentWithKey(t.db);
    const first = await connectHttp(`${gw.url}/mcp/rugpull`, a.key);
    expect((await first.client.listTools()).tools.map((x) => x.name)).toContain("record");
    await first.client.close();

    t.db.transaction(
      (tx) => {
        tx.update(upstreams)
          .set({ env: { RECORD_FILE: path.join(t.dir, "rugpull.jsonl"), VARIANT: "2" } })
          .where(eq(upstreams.id, up.id))
          .run();
        bumpConfigVersion(tx, new Date());
      },
      { behavior: "immediate" },
    );
    const second = await connectHttp(`${gw.url}/mcp/rugpull`, a.key);
    expect((await second.client.listTools()).tools.map((x) => x.name)).not.toContain("record");
    const refused = await second.client.callTool({ name: "record", arguments: { n: 1 } });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toContain("changed since it was approved");
    expect(recorded("rugpull")).toEqual([]);
    expect(
      auditRows(t.db).filter(
        (r) => r.action === "tool.quarantine" && r.tool === "record" && r.server === "rugpull",
      ),
    ).toHaveLength(1);

    const ctx = testContext(t.db);
    const tool = must(listTools(ctx, { server: "rugpull" }).find((x) => x.name === "record"));
    expect(tool.status).toBe("quarantined");
    acceptToolChange(ctx, { toolId: tool.id });
    const ok = await second.client.callTool({ name: "record", arguments: { n: 2 } });
    expect(ok.content).toEqual([{ type: "text", text: "recorded 2" }]);
    expect((await second.client.listTools()).tools.map((x) => x.name)).toContain("record");
    await second.client.close();
  });
});

describe("several gateway processes on one database", () => {
  it("admits exactly 10 of 50 concurrent calls against a limit of 10", async () => {
    const up = recorder("limited");
    insertPolicyVersion(
      t.db,
      up.id,
      `version: "1"\ntools:\n  record:\n    rules:\n      - rate_limit: { max: 10, window: 3600 }\n`,
    );
    const a = insertAgentWithKey(t.db);
    const [g1, g2] = await Promise.all([spawnGateway(t.file), spawnGateway(t.file)]);
    try {
      const clients = await Promise.all([
        connectHttp(`${g1.url}/mcp/limited`, a.key),
        connectHttp(`${g1.url}/mcp/limited`, a.key),
        connectHttp(`${g2.url}/mcp/limited`, a.key),
        connectHttp(`${g2.url}/mcp/limited`, a.key),
      ]);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          must(clients[i % 4]).client.callTool({ name: "record", arguments: { n: i } }),
        ),
      );
      const admitted = results.filter((r) => !r.isError);
      const limited = results.filter(
        (r) => r.isError && JSON.stringify(r.content).includes("Rate limit of 10 per 3600 seconds"),
      );
      expect(admitted).toHaveLength(10);
      expect(limited).toHaveLength(40);
      expect(recorded("limited")).toHaveLength(10);
      await Promise.all(clients.map((c) => c.client.close()));
      expect(gatewayPids()).toEqual(expect.arrayContaining([g1.child.pid, g2.child.pid]));
    } finally {
      await Promise.all([g1.stop(), g2.stop()]);
    }
    expect(gatewayPids()).not.toContain(g1.child.pid);
    expect(gatewayPids()).not.toContain(g2.child.pid);
    expect(verifyChain(t.db)).toMatchObject({ ok: true });
  });

  it("survives kill -9 under load: the chain verifies and every call the upstream received has its decision", async () => {
    const up = recorder("killed");
    insertPolicyVersion(t.db, up.id, `version: "1"\ndefault: allow\n`);
    const a = insertAgentWithKey(t.db);
    const g = await spawnGateway(t.file);
    const { client } = await connectHttp(`${g.url}/mcp/killed`, a.key);
    let n = 0;
    const load = Promise.all(
      Array.from({ length: 6 }, async () => {
        for (;;) {
          const i = n++;
          try {
            await client.callTool({ name: "record", arguments: { n: i } }, undefined, {
              timeout: 3_000,
            });
          } catch {
            return;
          }
        }
      }),
    );
    await eventually(() => recorded("killed").length >= 30, 15_000);
    g.child.kill("SIGKILL");
    await load;
    await client.close().catch(() => {});

    expect(verifyChain(t.db)).toMatchObject({ ok: true });
    const received = recorded("killed");
    const allowed = new Set(
      auditRows(t.db)
        .filter(
          (r) => r.action === "tool_call.decide" && r.server === "killed" && r.decision === "allow",
        )
        .map((r) => r.arguments),
    );
    for (const call of received) expect(allowed.has(JSON.stringify({ n: call.args.n }))).toBe(true);

    // The upstream child died with its gateway (no orphans).
    const pid = must(received[0]).pid;
    await eventually(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 10_000);
    expect(execFileSync("ps", ["-eo", "args"]).toString()).not.toContain(`${t.dir}/killed.jsonl`);
  }, 60_000);
});
