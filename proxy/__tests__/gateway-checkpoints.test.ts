import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { loadGatewayEnv } from "@/lib/env";
import { listCheckpoints } from "@/lib/services/audit/checkpoints";
import { verifyIntegrity } from "@/lib/services/audit/integrity";
import { integritySettings } from "@/lib/services/audit/maintenance";
import { localTrustedKeys } from "@/lib/services/audit/signing-key";
import { insertAgentWithKey } from "@/lib/testing/factories";
import { connectHttp, tempDatabase } from "@/lib/testing/proxy";
import { type Gateway, gatewayOptions, startGateway } from "../serve";
import { gatewayTestOptions, insertEverything } from "./helpers";

/*
 * A gateway deployed without the console (headless provisioning) still seals its audit log: it
 * signs checkpoints on the schedule, in small steps, and never applies retention itself.
 */

let t: ReturnType<typeof tempDatabase>;
let gw: Gateway;
let key = "";

beforeAll(async () => {
  t = tempDatabase();
  insertEverything(t.db);
  key = insertAgentWithKey(t.db, { name: "sealed-agent" }).key;
  const settings = integritySettings({
    PORTCULLIS_DB: t.file,
    PORTCULLIS_AUDIT_CHECKPOINT_ROWS: 3,
    PORTCULLIS_AUDIT_CHECKPOINT_MINUTES: 0,
    PORTCULLIS_AUDIT_RETENTION_DAYS: 0,
  });
  gw = await startGateway(
    gatewayTestOptions(t.db, {
      auditMaintenance: { settings: { ...settings, stepRows: 2 }, everyMs: 50 },
    }),
  );
});

afterAll(async () => {
  await gw?.close();
  t?.cleanup();
});

describe("a gateway on its own", () => {
  it("signs checkpoints on the schedule, which verify with the public key", async () => {
    const { client } = await connectHttp(`${gw.url}/mcp/everything`, key);
    for (let i = 0; i < 4; i++) {
      const r = await client.callTool({ name: "echo", arguments: { message: `sealed ${i}` } });
      expect(r.isError).toBeFalsy();
    }
    await client.close();
    const head = () =>
      t.db.$client.prepare("SELECT max(seq) FROM audit_events").pluck().get() as number;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (listCheckpoints(t.db).at(-1)?.seq ?? 0) < head() - 2)
      await new Promise((r) => setTimeout(r, 50));
    const checkpoints = listCheckpoints(t.db);
    expect(checkpoints.length).toBeGreaterThan(0);
    expect(checkpoints.every((c) => c.reason === "auto")).toBe(true);
    const keys = localTrustedKeys({ dbFile: t.file });
    expect(verifyIntegrity(t.db, { keys })).toMatchObject({
      ok: true,
      lastCheckpoint: { seq: checkpoints.at(-1)?.seq },
    });
  });

  it("is on by default, leaves retention to the console, and can be turned off", () => {
    const base = { PORTCULLIS_DB: t.file, PORTCULLIS_AUDIT_RETENTION_DAYS: "30" };
    const on = gatewayOptions(t.db, loadGatewayEnv(base)).auditMaintenance;
    expect(on?.settings).toMatchObject({
      retentionDays: 0,
      stepRows: 250,
      checkpoint: { everyRows: 10_000, everyMinutes: 10 },
    });
    const off = loadGatewayEnv({ ...base, PORTCULLIS_AUDIT_MAINTENANCE: "0" });
    expect(gatewayOptions(t.db, off).auditMaintenance).toBeNull();
  });
});
