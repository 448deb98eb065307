import fs from "node:fs";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { agentKeys } from "@/db/schema";
import { newId } from "@/lib/core/ids";
import type { AgentView } from "@/lib/core/agents/views";
import type { UpstreamView } from "@/lib/core/upstreams/views";
import { authenticateAgentKey, loadUpstreamByName } from "@/lib/services/gateway";
import { getActivePolicy } from "@/lib/services/policies";
import { getUpstreamByName } from "@/lib/services/upstreams";
import { testContext } from "@/lib/testing";
import { insertAgentWithKey, insertGrant, insertUpstream } from "@/lib/testing/factories";
import { auditRows, must, tempDatabase } from "@/lib/testing/proxy";
import { osUser } from "../runtime";
import { cliInProcess } from "./helpers";

let t: ReturnType<typeof tempDatabase>;
const cli = (...args: string[]) => cliInProcess(args, { PORTCULLIS_DB: t.file });
const OPERATOR = {
  source: "cli",
  actorType: "system",
  actorId: null,
  actorLabel: `cli:${osUser()}`,
};

beforeAll(() => {
  t = tempDatabase();
});
afterAll(() => t?.cleanup());

function newRows<T>(run: () => Promise<T>) {
  return async () => {
    const before = auditRows(t.db).length;
    const result = await run();
    return { result, rows: auditRows(t.db).slice(before) };
  };
}

function writePolicy(name: string, text: string): string {
  const file = path.join(t.dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const POLICY_V1 = `version: "1"\ndefault: deny\ntools:\n  read_file:\n    rules:\n      - action: allow\n`;
const POLICY_V2 = `${POLICY_V1}  write_file:\n    rules:\n      - action: deny\n        reason: read-only\n`;

describe("help", () => {
  it.each([
    ["servers"],
    ["servers", "add"],
    ["servers", "list"],
    ["servers", "remove"],
    ["servers", "disable"],
    ["servers", "enable"],
    ["policies"],
    ["policies", "apply"],
    ["agents"],
    ["agents", "create"],
    ["agents", "list"],
    ["agents", "keys"],
    ["agents", "keys", "revoke"],
  ])("%s --help exits 0 with usage", async (...cmd) => {
    const res = await cli(...cmd, "--help");
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("Usage: portcullis");
  });
});

describe("servers", () => {
  it("adds a stdio server with its settings and audits upstream.create without env values", async () => {
    const { result, rows } = await newRows(() =>
      cli(
        "servers",
        "add",
        "files",
        "--description",
        "Shared files",
        "--timeout-ms",
        "5000",
        "--env",
        "API_TOKEN=s3cret=value",
        "--env",
        "MODE=ro",
        "--cwd",
        t.dir,
        "--isolation",
        "session",
        "--",
        "node",
        "server.js",
        "--root",
        "/srv; rm -rf /",
      ),
    )();
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain("agents reach it at /mcp/files");
    expect(result.stdout).not.toContain("s3cret");
    // Stored sealed; the gateway's loader opens the values.
    expect(must(getUpstreamByName(t.db, "files")).env.API_TOKEN).toMatch(/^enc:v1:/);
    const row = must(loadUpstreamByName(t.db, "files"));
    expect(row).toMatchObject({
      transport: "stdio",
      command: "node",
      args: ["server.js", "--root", "/srv; rm -rf /"],
      env: { API_TOKEN: "s3cret=value", MODE: "ro" },
      cwd: t.dir,
      timeoutMs: 5000,
      isolation: "session",
      description: "Shared files",
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: "upstream.create", server: "files", ...OPERATOR });
    expect(rows[0]?.detail).toContain("API_TOKEN");
    expect(rows[0]?.detail).toContain('"isolation":"session"');
    expect(rows[0]?.detail).not.toContain("s3cret");
  });

  it("adds a Streamable HTTP server with headers, shared by default", async () => {
    const { result, rows } = await newRows(() =>
      cli(
        "servers",
        "add",
        "remote",
        "--url",
        "https://mcp.example.com/mcp",
        "--header",
        "Authorization: Bearer tok-secret",
      ),
    )();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("shared connection");
    expect(must(getUpstreamByName(t.db, "remote")).headers.Authorization).toMatch(/^enc:v1:/);
    expect(loadUpstreamByName(t.db, "remote")).toMatchObject({
      transport: "http",
      url: "https://mcp.example.com/mcp",
      headers: { Authorization: "Bearer tok-secret" },
      isolation: "shared",
    });
    expect(rows.map((r) => r.action)).toEqual(["upstream.create"]);
    expect(rows[0]?.detail).not.toContain("tok-secret");
  });

  it("lists servers as a table and as JSON, with env and header names but never values", async () => {
    const table = await cli("servers", "list");
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+TRANSPORT\s+CONNECTION\s+STATUS\s+POLICY/);
    expect(table.stdout).toMatch(
      /files\s+stdio\s+session\s+enabled\s+none\s+API_TOKEN,MODE\s+node server\.js/,
    );
    expect(table.stdout).toMatch(
      /remote\s+http\s+shared\s+enabled\s+none\s+Authorization\s+https:/,
    );
    const json = await cli("servers", "list", "--json");
    expect(json.code).toBe(0);
    for (const out of [table.stdout, json.stdout]) {
      expect(out).not.toContain("s3cret");
      expect(out).not.toContain("tok-secret");
    }
    const views = JSON.parse(json.stdout) as UpstreamView[];
    expect(views.find((v) => v.name === "files")).toMatchObject({
      transport: "stdio",
      isolation: "session",
      envNames: ["API_TOKEN", "MODE"],
      headerNames: [],
      activePolicyVersion: null,
      enabled: true,
    });
    expect(views.find((v) => v.name === "remote")).toMatchObject({
      headerNames: ["Authorization"],
      isolation: "shared",
    });
  });

  it.each([
    [["servers", "add", "x"], /give the server's command after -- \(stdio\) or its --url/],
    [["servers", "add", "x", "--url", "https://a.example/mcp", "--", "node"], /not both/],
    [["servers", "add", "x", "--env", "NOVALUE", "--", "node"], /--env must look like NAME=value/],
    [
      ["servers", "add", "x", "--env", "LD_PRELOAD=/tmp/evil.so", "--", "node"],
      /^portcullis: --env: Loader and interpreter hooks/,
    ],
    [
      ["servers", "add", "x", "--header", "Bearer leaked-token", "--url", "https://a.example/mcp"],
      /--header must look like 'Name: value'/,
    ],
    [["servers", "add", "x", "--header", "A: b", "--", "node"], /--header is for --url servers/],
    [
      ["servers", "add", "x", "--url", "https://a.example/mcp", "--env", "A=b"],
      /--env and --cwd are for stdio servers/,
    ],
    [
      ["servers", "add", "x", "--timeout-ms", "10", "--", "node"],
      /--timeout-ms: Timeout must be at least 1000 ms/,
    ],
    [
      ["servers", "add", "x", "--timeout-ms", "soon", "--", "node"],
      /--timeout-ms must be a whole number/,
    ],
    [
      ["servers", "add", "x", "--isolation", "pooled", "--", "node"],
      /Allowed choices are shared, session/,
    ],
    [["servers", "add", "Bad Name", "--", "node"], /NAME: Name must be a slug/],
    [
      ["servers", "add", "x", "--", "node; rm -rf /"],
      /COMMAND: Command must be a single executable/,
    ],
    [["servers", "add", "x", "--url", "ftp://a.example/mcp"], /--url: URL must use http or https/],
  ])("refuses %j with exit 2 and writes nothing", async (args, message) => {
    const { result, rows } = await newRows(() => cli(...args))();
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/leaked-token|evil\.so|at .*\.ts:\d+/);
    expect(rows).toEqual([]);
    expect(getUpstreamByName(t.db, "x")).toBeUndefined();
  });

  it("refuses a name that is taken with exit 1", async () => {
    const res = await cli("servers", "add", "files", "--", "node");
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("A server named files already exists");
  });

  it("removes a server without history and audits upstream.delete", async () => {
    const { result, rows } = await newRows(() => cli("servers", "remove", "remote"))();
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain("removed server remote");
    expect(getUpstreamByName(t.db, "remote")).toBeUndefined();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: "upstream.delete", server: "remote", ...OPERATOR });
    expect(rows[0]?.detail).not.toContain("tok-secret");
    expect((await cli("servers", "remove", "remote")).code).toBe(1);
  });

  it("keeps a server with grants or policy versions and says to disable it; disable and enable are audited", async () => {
    const up = insertUpstream(t.db, { name: "granted" });
    insertGrant(t.db, {
      agentId: insertAgentWithKey(t.db).agent.id,
      upstreamId: up.id,
      toolPattern: "*",
    });
    const { result, rows } = await newRows(() => cli("servers", "remove", "granted"))();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("has 1 grant, which are kept for the record");
    expect(result.stderr).toContain("portcullis servers disable granted");
    expect(rows).toEqual([]);

    const disabled = await newRows(() => cli("servers", "disable", "granted"))();
    expect(disabled.result.code).toBe(0);
    expect(disabled.rows).toMatchObject([
      { action: "upstream.update", server: "granted", ...OPERATOR },
    ]);
    expect(disabled.rows[0]?.detail).toContain('"changedFields":["enabled"]');
    expect(getUpstreamByName(t.db, "granted")?.enabled).toBe(false);
    expect((await cli("servers", "list")).stdout).toMatch(/granted\s+stdio\s+shared\s+disabled/);
    expect((await cli("servers", "enable", "granted")).code).toBe(0);
    expect(getUpstreamByName(t.db, "granted")?.enabled).toBe(true);
    expect((await cli("servers", "disable", "nope")).code).toBe(1);
  });
});

describe("policies apply", () => {
  const active = () => getActivePolicy(testContext(t.db), { server: "files" });

  it("saves a valid file as a new version, activates it and audits both steps", async () => {
    const file = writePolicy("files.yaml", POLICY_V1);
    const { result, rows } = await newRows(() => cli("policies", "apply", "files", file))();
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain("files: saved policy version 1 and made it active");
    expect(rows.map((r) => r.action)).toEqual(["policy.save", "policy.activate"]);
    for (const r of rows) expect(r).toMatchObject({ server: "files", ...OPERATOR });
    expect(active()).toMatchObject({
      yaml: POLICY_V1,
      version: { version: 1, author: OPERATOR.actorLabel },
    });
    expect(active().version?.comment).toBe("Applied from files.yaml with the CLI");
  });

  it("saves nothing when the file is already the active version", async () => {
    const file = writePolicy("files.yaml", POLICY_V1);
    const { result, rows } = await newRows(() => cli("policies", "apply", "files", file))();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("already the active policy (version 1); nothing saved");
    expect(rows).toEqual([]);
  });

  it("refuses an invalid file with every problem at line:column, and the old version stays active", async () => {
    const bad = writePolicy(
      "bad.yaml",
      `version: "1"\ndefault: maybe\ntools:\n  x:\n    rules:\n      - action: deny\n        conditions: [{ path: args.a, op: eq, value: 1 }]\n`,
    );
    const { result, rows } = await newRows(() => cli("policies", "apply", "files", bad))();
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bad\.yaml:2:\d+: default must be "allow" or "deny"/);
    expect(result.stderr).toMatch(/bad\.yaml:\d+:\d+: deny rules must not have conditions/);
    expect(result.stderr).toContain("2 errors in");
    expect(result.stderr).toContain("nothing saved; the policy in force for files is unchanged");
    expect(rows).toEqual([]);
    expect(active()).toMatchObject({ yaml: POLICY_V1, version: { version: 1 } });
  });

  it("activates a changed file as the next version, with the operator's comment", async () => {
    const file = writePolicy("files.yaml", POLICY_V2);
    const res = await cli("policies", "apply", "files", file, "--comment", "read-only writes");
    expect(res.code).toBe(0);
    expect(active()).toMatchObject({
      yaml: POLICY_V2,
      version: { version: 2, comment: "read-only writes" },
    });
    expect((await cli("servers", "list")).stdout).toMatch(/files\s+stdio\s+session\s+enabled\s+v2/);
    const removal = await cli("servers", "remove", "files");
    expect(removal.code).toBe(1);
    expect(removal.stderr).toContain("has 2 saved policy versions");
  });

  it("exits 1 for an unknown server and 2 for an unreadable file", async () => {
    const file = writePolicy("other.yaml", POLICY_V1);
    const unknown = await cli("policies", "apply", "nope", file);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no server named "nope"');
    const missing = await cli("policies", "apply", "files", path.join(t.dir, "missing.yaml"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read");
  });
});

describe("agents", () => {
  let secret = "";

  it("creates an agent and its first key, prints the key once and audits both", async () => {
    const { result, rows } = await newRows(() =>
      cli("agents", "create", "ci-bot", "--owner", "platform", "--description", "Deploys"),
    )();
    expect(result).toMatchObject({ code: 0, stderr: "" });
    secret = must(/key \(shown once, store it now\): (pcs_\S+)/.exec(result.stdout)?.[1], "key");
    expect(rows.map((r) => r.action)).toEqual(["agent.create", "agent_key.create"]);
    for (const r of rows) expect(r).toMatchObject(OPERATOR);
    expect(rows.map((r) => r.detail).join("")).not.toContain(secret);
    expect(authenticateAgentKey(t.db, secret, new Date()).agent.name).toBe("ci-bot");
  });

  it('prints {"agent", "key"} with --json', async () => {
    const res = await cli("agents", "create", "json-bot", "--json");
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { agent: AgentView; key: string };
    expect(Object.keys(out).sort()).toEqual(["agent", "key"]);
    expect(out.agent).toMatchObject({ name: "json-bot", owner: null, disabled: false });
    expect(out.agent.keys).toHaveLength(1);
    expect(out.key.startsWith(must(out.agent.keys[0]).prefix)).toBe(true);
    expect(JSON.stringify(out.agent)).not.toContain(out.key);
  });

  it("refuses a taken name (exit 1) and an invalid one (exit 2) without writing", async () => {
    const taken = await newRows(() => cli("agents", "create", "ci-bot"))();
    expect(taken.result.code).toBe(1);
    expect(taken.result.stderr).toContain("An agent named ci-bot already exists");
    expect(taken.rows).toEqual([]);
    const invalid = await newRows(() => cli("agents", "create", "!bot"))();
    expect(invalid.result.code).toBe(2);
    expect(invalid.result.stderr).toContain("NAME: Use letters, digits");
    expect(invalid.rows).toEqual([]);
  });

  it("lists agents with key ids and prefixes, never secrets", async () => {
    const table = await cli("agents", "list");
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^AGENT\s+STATUS\s+KEY\s+PREFIX/);
    expect(table.stdout).toMatch(
      new RegExp(
        `ci-bot\\s+enabled\\s+key_\\w+\\s+${secret.slice(0, 10)}…\\s+active\\s+\\S+\\s+platform`,
      ),
    );
    expect(table.stdout).not.toContain(secret);
    const json = JSON.parse((await cli("agents", "list", "--json")).stdout) as AgentView[];
    expect(json.find((a) => a.name === "ci-bot")).toMatchObject({
      owner: "platform",
      description: "Deploys",
      keys: [{ prefix: secret.slice(0, 10), revokedAt: null }],
    });
  });

  it("revokes a key by its prefix, once, and audits agent_key.revoke", async () => {
    const { result, rows } = await newRows(() =>
      cli("agents", "keys", "revoke", `${secret.slice(0, 10)}…`),
    )();
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^revoked key key_\w+ \(pcs_[\w-]+…\) of agent ci-bot/);
    expect(rows).toMatchObject([{ action: "agent_key.revoke", ...OPERATOR }]);
    expect(() => authenticateAgentKey(t.db, secret, new Date())).toThrow(
      "Invalid or missing agent key",
    );
    const again = await newRows(() => cli("agents", "keys", "revoke", secret.slice(0, 10)))();
    expect(again.result).toMatchObject({ code: 0 });
    expect(again.result.stdout).toContain("was already revoked");
    expect(again.rows).toEqual([]);
  });

  it("revokes by key id or by the leaked key itself, never echoing it", async () => {
    const byId = insertAgentWithKey(t.db);
    expect((await cli("agents", "keys", "revoke", byId.keyRow.id)).code).toBe(0);
    const leaked = insertAgentWithKey(t.db);
    const res = await cli("agents", "keys", "revoke", leaked.key);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(leaked.keyRow.id);
    expect(res.stdout + res.stderr).not.toContain(leaked.key);
  });

  it("exits 1 for an unknown key and for a prefix that names several keys", async () => {
    const unknown = await cli("agents", "keys", "revoke", "pcs_nothere");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no agent key has that id or prefix");
    const a = insertAgentWithKey(t.db);
    t.db
      .insert(agentKeys)
      .values({
        id: newId("agentKey"),
        agentId: a.agent.id,
        name: "twin",
        prefix: a.keyRow.prefix,
        keyHash: "0".repeat(64),
        createdBy: "test",
        createdAt: new Date(),
      })
      .run();
    const twins = await cli("agents", "keys", "revoke", a.keyRow.prefix);
    expect(twins.code).toBe(1);
    expect(twins.stderr).toContain("that prefix names 2 keys");
  });
});
