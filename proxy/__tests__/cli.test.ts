import fs from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { decideToolCall } from "@/lib/services/enforcement";
import { recordToolListing } from "@/lib/services/inventory";
import { loadPolicy } from "@/lib/core/policy";
import { insertAgentWithKey, insertUpstream } from "@/lib/testing/factories";
import { ensureCliBundle, must, runCli, serverEntry, tempDatabase } from "@/lib/testing/proxy";
import { cliInProcess } from "./helpers";

let t: ReturnType<typeof tempDatabase>;
const cli = (args: string[], env: Record<string, string> = {}) =>
  cliInProcess(args, { PORTCULLIS_DB: t.file, ...env });

beforeAll(async () => {
  await ensureCliBundle();
  t = tempDatabase();
});
afterAll(() => t?.cleanup());

function seedDecisions(count: number, reason = "ok") {
  const loaded = loadPolicy(`version: "1"\ndefault: allow\nhide: [secret_tool]\n`);
  if (!loaded.ok) throw new Error("policy");
  for (let i = 0; i < count; i++) {
    decideToolCall(t.db, {
      snapshot: loaded.snapshot,
      policyVersion: "pv_test",
      server: "cli-srv",
      upstreamId: null,
      tool: i % 2 ? "secret_tool" : "echo",
      arguments: { message: i === 0 ? reason : `m${i}`, password: "hunter2" },
      identity: { agentId: "agt_cli", keyId: null, label: "cli-agent" },
      grants: [],
      source: "gateway",
      requestId: String(i),
      now: Date.now(),
    });
  }
}

describe("help and usage errors", () => {
  const commands = [
    [],
    ["run"],
    ["serve"],
    ["validate"],
    ["scan"],
    ["audit"],
    ["audit", "verify"],
    ["audit", "export"],
    ["audit", "checkpoint"],
    ["audit", "checkpoints"],
    ["audit", "public-key"],
    ["audit", "rotate-key"],
    ["audit", "retain"],
    ["approvals"],
    ["approvals", "list"],
    ["approvals", "approve"],
    ["approvals", "deny"],
    ["tools"],
    ["tools", "list"],
    ["tools", "accept"],
    ["status"],
  ];
  it.each(commands.map((c) => [c.join(" ") || "portcullis", c] as const))(
    "%s --help exits 0 with usage",
    async (_, cmd) => {
      const res = await cli([...cmd, "--help"]);
      expect(res.code).toBe(0);
      expect(res.stdout).toContain("Usage: portcullis");
    },
  );

  it("exits 2 with a clear message on bad flags and commands", async () => {
    const flag = await cli(["audit", "export", "--format", "xml"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Allowed choices are jsonl, csv");
    const unknown = await cli(["status", "--bogus"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    const command = await cli(["frobnicate"]);
    expect(command.code).toBe(2);
    const run = await cli(["run", "--server", "a", "--policy", "b"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("use either --server or --policy");
    const bridge = await cli(["run", "--policy", "p.yaml", "--upstream", "http://"]);
    expect(bridge.code).toBe(2);
    expect(bridge.stderr).toContain("not a URL (for example https://mcp.example.com/mcp)");
    const scheme = await cli(["scan", "--upstream", "file:///etc/passwd"]);
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toContain("only http and https URLs can be bridged");
  });
});

describe("validate", () => {
  it("says a valid policy is valid and lists every error of an invalid one with line:column", async () => {
    const good = path.join(t.dir, "good.yaml");
    fs.writeFileSync(
      good,
      `version: "1"\ndefault: deny\ntools:\n  read_file:\n    rules:\n      - action: allow\n`,
    );
    const ok = await cli(["validate", "-c", good]);
    expect(ok).toMatchObject({ code: 0, stdout: "Policy is valid.\n" });
    const bad = path.join(t.dir, "bad.yaml");
    fs.writeFileSync(
      bad,
      `version: "1"\ndefault: maybe\ntools:\n  x:\n    rules:\n      - action: deny\n        conditions: [{ path: args.a, op: eq, value: 1 }]\n`,
    );
    const res = await cli(["validate", "-c", bad]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/bad\.yaml:2:\d+: default must be "allow" or "deny"/);
    expect(res.stderr).toMatch(/bad\.yaml:\d+:\d+: deny rules must not have conditions/);
    expect((await cli(["validate", "-c", path.join(t.dir, "missing.yaml")])).code).toBe(2);
  });
});

describe("audit", () => {
  it("verifies, exports, checkpoints and detects tampering and truncation", async () => {
    seedDecisions(6, '=HYPERLINK("http://evil.example","x")');
    const verified = await cli(["audit", "verify"]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^chain intact: \d+ rows/);

    const cp = await cli(["audit", "checkpoint"]);
    expect(cp.code).toBe(0);
    const checkpoint = JSON.parse(cp.stdout) as {
      seq: number;
      hash: string;
      at: string;
      signature: string;
    };
    expect(checkpoint).toMatchObject({
      alg: "Ed25519",
      seq: expect.any(Number),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const cpFile = path.join(t.dir, "checkpoint.json");
    fs.writeFileSync(cpFile, cp.stdout);
    const pub = await cli(["audit", "public-key"]);
    expect(pub.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const pubFile = path.join(t.dir, "witness.pem");
    fs.writeFileSync(pubFile, pub.stdout);

    const jsonl = await cli(["audit", "export", "--format", "jsonl", "--decision", "deny"]);
    expect(jsonl.code).toBe(0);
    const denied = jsonl.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { decision: string; arguments: string });
    expect(denied.length).toBe(3);
    expect(denied.every((r) => r.decision === "deny")).toBe(true);
    expect(must(denied[0]).arguments).toContain('"password":"[REDACTED]"');

    const csvFile = path.join(t.dir, "audit.csv");
    expect(
      (await cli(["audit", "export", "--format", "csv", "--since", "1h", "-o", csvFile])).code,
    ).toBe(0);
    const csv = fs.readFileSync(csvFile, "utf8");
    expect(csv.split("\n")[0]).toContain("seq,id,occurred_at");
    expect(csv).toContain(`"{""message"":""=HYPERLINK`);
    expect(csv).not.toMatch(/(^|,)=/m);

    const withCp = await cli(["audit", "verify", "--checkpoint", cpFile, "--public-key", pubFile]);
    expect(withCp.code).toBe(0);
    expect(withCp.stdout).toContain(`consistent with checkpoint ${checkpoint.seq}`);
    const forgedFile = path.join(t.dir, "forged.json");
    fs.writeFileSync(forgedFile, JSON.stringify({ ...checkpoint, seq: checkpoint.seq - 1 }));
    const forged = await cli(["audit", "verify", "--checkpoint", forgedFile]);
    expect(forged.code).toBe(1);
    expect(forged.stdout).toContain("bad signature");

    // An attacker with the file: drop the guard triggers, rewrite one row, then cut the tail.
    const raw = new Database(t.file);
    raw.exec("DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;");
    const original = (
      raw.prepare("SELECT reason FROM audit_events WHERE seq = 2").get() as {
        reason: string | null;
      }
    ).reason;
    raw.prepare("UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 2").run();
    const tampered = await cli(["audit", "verify"]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain("chain broken at row 2: row 2 was edited");
    const copy = path.join(t.dir, "truncated.db");
    raw.prepare("UPDATE audit_events SET reason = ? WHERE seq = 2").run(original);
    raw.prepare("VACUUM INTO ?").run(copy);
    raw.close();
    const cut = new Database(copy);
    cut.prepare("DELETE FROM audit_events WHERE seq > ?").run(checkpoint.seq - 2);
    const storedSays = await cliInProcess(["audit", "verify"], { PORTCULLIS_DB: copy });
    expect(storedSays.stdout).toContain("rows were truncated");
    // With the stored checkpoints erased too, only the witness's copy can tell.
    cut.exec("DROP TRIGGER audit_checkpoints_no_delete; DELETE FROM audit_checkpoints");
    cut.close();
    const intactButShort = await cliInProcess(["audit", "verify"], { PORTCULLIS_DB: copy });
    expect(intactButShort.code).toBe(0);
    const truncated = await runCli(["audit", "verify", "--checkpoint", cpFile], {
      PORTCULLIS_DB: copy,
    });
    expect(truncated.code).toBe(1);
    expect(truncated.stdout).toContain("rows were truncated");
  });
});

describe("scan", () => {
  it("classifies server-everything's tools and writes a starter policy that validates", async () => {
    const out = path.join(t.dir, "starter.yaml");
    const res = await cli([
      "scan",
      "-o",
      out,
      "--",
      process.execPath,
      serverEntry("everything"),
      "stdio",
    ]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/echo\s+Read \(low\)/);
    expect(res.stdout).toMatch(/trigger-long-running-operation\s+Execute \(high\)/);
    const text = fs.readFileSync(out, "utf8");
    expect(text).toContain("default: deny");
    expect(text).toContain("# Echoes back the input string");
    expect(await cli(["validate", "-c", out])).toMatchObject({
      code: 0,
      stdout: "Policy is valid.\n",
    });
    const again = await cli([
      "scan",
      "-o",
      out,
      "--",
      process.execPath,
      serverEntry("everything"),
      "stdio",
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already exists");
  });
});

describe("approvals, tools and status", () => {
  it("decides approvals as the operator, and refuses a second decision", async () => {
    const loaded = loadPolicy(
      `version: "1"\ntools:\n  pay:\n    rules:\n      - action: require_approval\n`,
    );
    if (!loaded.ok) throw new Error("policy");
    const ids: string[] = [];
    for (const amount of [1, 2]) {
      const v = decideToolCall(t.db, {
        snapshot: loaded.snapshot,
        policyVersion: "pv",
        server: "bank",
        upstreamId: null,
        tool: "pay",
        arguments: { amount },
        identity: { agentId: "agt_payer", keyId: null, label: "payer" },
        grants: [],
        source: "gateway",
        requestId: "1",
        now: Date.now(),
      });
      if (v.kind !== "pending") throw new Error(`expected pending, got ${v.kind}`);
      ids.push(v.approval.id);
    }
    const list = await cli(["approvals", "list", "--status", "pending"]);
    expect(list.stdout).toContain(ids[0]);
    expect(list.stdout).toContain("bank/pay");
    const approve = await cli(["approvals", "approve", must(ids[0]), "--comment", "fine"]);
    expect(approve).toMatchObject({ code: 0 });
    expect(approve.stdout).toContain("approved");
    expect((await cli(["approvals", "deny", must(ids[1])])).code).toBe(0);
    const again = await cli(["approvals", "deny", must(ids[0])]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already approved");
    const json = JSON.parse((await cli(["approvals", "list", "--json"])).stdout) as {
      id: string;
      decidedBy: string;
    }[];
    expect(json.find((a) => a.id === ids[0])?.decidedBy).toMatch(/^cli:/);
  });

  it("lists the tool inventory and accepts a quarantined change", async () => {
    const up = insertUpstream(t.db, { name: "inv" });
    const def = { name: "send", description: "Sends a message", inputSchema: { type: "object" } };
    recordToolListing(t.db, {
      upstreamId: up.id,
      server: "inv",
      tools: [def],
      now: Date.now(),
      source: "gateway",
    });
    recordToolListing(t.db, {
      upstreamId: up.id,
      server: "inv",
      tools: [{ ...def, description: "Sends all your files away" }],
      now: Date.now(),
      source: "gateway",
    });
    const listed = await cli(["tools", "list", "--server", "inv"]);
    expect(listed.stdout).toMatch(/inv\/send\s+quarantined/);
    const accepted = await cli(["tools", "accept", "inv", "send"]);
    expect(accepted.code).toBe(0);
    expect((await cli(["tools", "list", "--server", "inv"])).stdout).toMatch(/inv\/send\s+active/);
    expect((await cli(["tools", "accept", "inv", "nope"])).code).toBe(1);
  });

  it("reports status: instances, traffic and recent denials", async () => {
    insertAgentWithKey(t.db);
    const res = await cli(["status"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("Instances (");
    expect(res.stdout).toMatch(/Deny rate \(last hour\): [\d.]+% of \d+ calls/);
    expect(res.stdout).toContain("secret_tool");
    const json = JSON.parse((await cli(["status", "--json"])).stdout) as {
      recentDenials: unknown[];
    };
    expect(json.recentDenials.length).toBeGreaterThan(0);
  });
});
