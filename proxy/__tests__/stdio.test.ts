import { spawn } from "node:child_process";
import net from "node:net";
import fs from "node:fs";
import path from "node:path";

import { CreateMessageRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { verifyChain } from "@/lib/services/audit";
import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import {
  auditRows,
  childEnv,
  CLI_BUNDLE,
  connectStdio,
  ensureCliBundle,
  eventually,
  REPO_ROOT_FOR_TESTS,
  runCli,
  serverEntry,
  tempDatabase,
  must,
} from "@/lib/testing/proxy";
import { INIT_REQUEST } from "./helpers";

let t: ReturnType<typeof tempDatabase>;
const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
const policyFile = (name: string, text: string) => {
  const file = path.join(t.dir, name);
  fs.writeFileSync(file, text);
  return file;
};

beforeAll(async () => {
  await ensureCliBundle();
  t = tempDatabase();
});
afterAll(() => t?.cleanup());

describe("portcullis run with a policy file", () => {
  it("passes tools, resources, prompts, sampling and progress through server-everything", async () => {
    const file = policyFile("everything.yaml", `version: "1"\ndefault: allow\nhide: [get-env]\n`);
    const { client } = await connectStdio(
      ["--policy", file, "--", process.execPath, serverEntry("everything"), "stdio"],
      { PORTCULLIS_DB: t.file },
      { capabilities: { sampling: {} } },
    );
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      model: "m",
      role: "assistant",
      content: { type: "text", text: "sampled-ok" },
    }));
    const names = (await client.listTools()).tools.map((x) => x.name);
    expect(names).toContain("echo");
    expect(names).not.toContain("get-env");
    expect((await client.callTool({ name: "echo", arguments: { message: "hi" } })).content).toEqual(
      [{ type: "text", text: "Echo: hi" }],
    );
    expect((await client.listResources()).resources.length).toBeGreaterThan(0);
    const prompt = (await client.listPrompts()).prompts.find((p) => p.name === "simple-prompt");
    expect(prompt).toBeDefined();
    expect((await client.getPrompt({ name: "simple-prompt" })).messages.length).toBeGreaterThan(0);
    const sampled = await client.callTool({
      name: "trigger-sampling-request",
      arguments: { prompt: "x", maxTokens: 5 },
    });
    expect(JSON.stringify(sampled.content)).toContain("sampled-ok");
    const progress: number[] = [];
    await client.callTool(
      { name: "trigger-long-running-operation", arguments: { duration: 0.2, steps: 2 } },
      undefined,
      {
        onprogress: (p) => progress.push(p.progress),
      },
    );
    // The SDK client handles a notification a microtask later than a response, so the last
    // progress event can lose the race with the result when both arrive in one read.
    expect(progress[0]).toBe(1);
    await client.close();
    const decisions = auditRows(t.db).filter(
      (r) => r.action === "tool_call.decide" && r.source === "stdio",
    );
    expect(decisions.map((r) => r.tool)).toEqual([
      "echo",
      "trigger-sampling-request",
      "trigger-long-running-operation",
    ]);
    expect(decisions[0]).toMatchObject({
      actorType: "anonymous",
      decision: "allow",
      arguments: '{"message":"hi"}',
      argumentsMode: "redacted",
    });
  });

  it("lets server-filesystem read anywhere allowed but refuses writes outside an allowed path", async () => {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(t.dir, "fs-")));
    fs.mkdirSync(path.join(root, "allowed"));
    fs.writeFileSync(path.join(root, "notes.txt"), "hello notes");
    const file = policyFile(
      "fs.yaml",
      `version: "1"
default: allow
tools:
  write_file:
    rules:
      - name: writes stay in allowed/
        action: evaluate
        conditions: [{ path: args.path, op: regex, value: "^${root.replace(/[.*+?^${}()|[\]\\]/g, "\\\\$&")}/allowed/[^/]+$" }]
        on_deny: "Writes are only allowed under allowed/"
`,
    );
    const { client } = await connectStdio(
      [
        "--policy",
        file,
        "--name",
        "files",
        "--",
        process.execPath,
        serverEntry("filesystem"),
        root,
      ],
      { PORTCULLIS_DB: t.file },
    );
    const read = await client.callTool({
      name: "read_text_file",
      arguments: { path: path.join(root, "notes.txt") },
    });
    expect(JSON.stringify(read.content)).toContain("hello notes");
    const outside = await client.callTool({
      name: "write_file",
      arguments: { path: path.join(root, "evil.txt"), content: "x" },
    });
    expect(outside.isError).toBe(true);
    expect(JSON.stringify(outside.content)).toContain(
      "[POLICY DENIED] Writes are only allowed under allowed/",
    );
    expect(fs.existsSync(path.join(root, "evil.txt"))).toBe(false);
    const traversal = await client.callTool({
      name: "write_file",
      arguments: { path: `${root}/allowed/../evil.txt`, content: "x" },
    });
    expect(traversal.isError).toBe(true);
    const inside = await client.callTool({
      name: "write_file",
      arguments: { path: path.join(root, "allowed", "ok.txt"), content: "fine" },
    });
    expect(inside.isError).toBeFalsy();
    expect(fs.readFileSync(path.join(root, "allowed", "ok.txt"), "utf8")).toBe("fine");
    await client.close();
  });

  it("applies a valid edit of the policy file to the next call and rejects an invalid one", async () => {
    const file = policyFile("reload.yaml", `version: "1"\ndefault: allow\n`);
    const { client, stderr } = await connectStdio(
      ["--policy", file, "--", process.execPath, serverEntry("everything"), "stdio"],
      { PORTCULLIS_DB: t.file },
    );
    expect(
      (await client.callTool({ name: "echo", arguments: { message: "a" } })).isError,
    ).toBeFalsy();
    fs.writeFileSync(file, `version: "1"\ndefault: allow\nhide: [echo]\n`);
    const hidden = await client.callTool({ name: "echo", arguments: { message: "b" } });
    expect(JSON.stringify(hidden.content)).toContain("hidden by policy");
    fs.writeFileSync(
      file,
      `version: "1"\ndefault: allow\ntools:\n  echo:\n    rules:\n      - action: maybe\n`,
    );
    const still = await client.callTool({ name: "echo", arguments: { message: "c" } });
    expect(JSON.stringify(still.content)).toContain("hidden by policy");
    await eventually(() => stderr().includes("policy change rejected"));
    expect(stderr()).toMatch(/reload\.yaml:6:\d+: action must be/);
    await client.close();
  });

  it("refuses to start on an invalid policy file, printing line:column", async () => {
    const file = policyFile("bad.yaml", `version: "2"\ndefault: sometimes\n`);
    const res = await runCli(
      ["run", "--policy", file, "--", process.execPath, serverEntry("everything"), "stdio"],
      { PORTCULLIS_DB: t.file },
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/bad\.yaml:1:\d+: version must be "1"/);
    expect(res.stderr).toMatch(/bad\.yaml:2:\d+: default must be "allow" or "deny"/);
  });

  it("refuses batches, malformed lines and non-object arguments, each audited once", async () => {
    const file = policyFile("frames.yaml", `version: "1"\ndefault: allow\n`);
    const before = auditRows(t.db).length;
    const init = INIT_REQUEST;
    const lines = [
      JSON.stringify(init),
      JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
      JSON.stringify([
        {
          jsonrpc: "2.0",
          id: 2,
          method: "tools/call",
          params: { name: "echo", arguments: { message: "batched" } },
        },
      ]),
      "{this is not json",
      JSON.stringify({
        jsonrpc: "2.0",
        id: 3,
        method: "tools/call",
        params: { name: "echo", arguments: ["not", "an", "object"] },
      }),
      JSON.stringify({
        jsonrpc: "2.0",
        method: "tools/call",
        params: { name: "echo", arguments: { message: "as a notification" } },
      }),
    ];
    const res = await runCli(
      ["run", "--policy", file, "--", process.execPath, serverEntry("everything"), "stdio"],
      { PORTCULLIS_DB: t.file },
      `${lines.join("\n")}\n`,
    );
    expect(res.code).toBe(0);
    const replies = res.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: unknown; error?: { code: number } });
    expect(
      replies
        .filter((r) => r.error)
        .map((r) => must(r.error).code)
        .sort(),
    ).toEqual([-32700, -32602, -32600].sort());
    const rows = auditRows(t.db)
      .slice(before)
      .filter((r) => r.action !== "tool_call.outcome");
    expect(rows.map((r) => [r.action, r.cause])).toEqual([
      ["message.refuse", "batch"],
      ["message.refuse", "malformed"],
      ["message.refuse", "malformed"],
      ["message.refuse", "unknown_method"],
    ]);
    expect(rows.some((r) => r.action === "tool_call.decide")).toBe(false);
  });

  it("exits with the upstream's status and forwards signals to its process group", async () => {
    const file = policyFile("exit.yaml", `version: "1"\n`);
    const exiting = spawn(
      process.execPath,
      [
        CLI_BUNDLE,
        "run",
        "--policy",
        file,
        "--",
        process.execPath,
        "-e",
        "setTimeout(() => process.exit(7), 100)",
      ],
      {
        env: childEnv({ PORTCULLIS_DB: t.file }),
        stdio: ["pipe", "ignore", "ignore"],
      },
    );
    expect(await new Promise((resolve) => exiting.once("exit", resolve))).toBe(7);

    const child = spawn(
      process.execPath,
      [
        CLI_BUNDLE,
        "run",
        "--policy",
        file,
        "--",
        process.execPath,
        "-e",
        "process.on('SIGTERM', () => process.exit(42)); process.stderr.write('up:' + process.pid); setInterval(() => {}, 1000)",
      ],
      {
        env: childEnv({ PORTCULLIS_DB: t.file, PORTCULLIS_LOG_LEVEL: "info" }),
        stdio: ["pipe", "ignore", "pipe"],
      },
    );
    let err = "";
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    await eventually(() => /up:\d+/.test(err));
    const code = await new Promise<number | null>((resolve) => {
      child.once("exit", (c) => resolve(c));
      child.kill("SIGTERM");
    });
    expect(code).toBe(42);
  });
});

describe("portcullis run --upstream (stdio to Streamable HTTP bridge)", () => {
  it("bridges a stdio client to server-everything's Streamable HTTP endpoint", async () => {
    const port = await freePort();
    const server = spawn(process.execPath, [serverEntry("everything"), "streamableHttp"], {
      env: childEnv({ PORT: String(port) }),
      stdio: ["ignore", "ignore", "pipe"],
    });
    try {
      let err = "";
      server.stderr.on("data", (c: Buffer) => (err += c.toString()));
      await eventually(() => err.includes("listening"));
      const file = policyFile("bridge.yaml", `version: "1"\ndefault: allow\nhide: [get-env]\n`);
      const { client } = await connectStdio(
        ["--policy", file, "--upstream", `http://127.0.0.1:${port}/mcp`],
        { PORTCULLIS_DB: t.file },
      );
      const names = (await client.listTools()).tools.map((x) => x.name);
      expect(names).toContain("echo");
      expect(names).not.toContain("get-env");
      expect(
        (await client.callTool({ name: "echo", arguments: { message: "over http" } })).content,
      ).toEqual([{ type: "text", text: "Echo: over http" }]);
      await client.close();
    } finally {
      server.kill("SIGKILL");
    }
  });
});

describe("portcullis run --server with the console's configuration", () => {
  it("enforces the database policy for the agent of --agent-key against server-memory", async () => {
    const up = insertUpstream(t.db, {
      name: "memory",
      command: process.execPath,
      args: [serverEntry("memory")],
      env: { MEMORY_FILE_PATH: path.join(t.dir, "memory.jsonl") },
    });
    insertPolicyVersion(
      t.db,
      up.id,
      `version: "1"\ndefault: deny\ntools:\n  create_entities: { rules: [{ rate_limit: 10/minute }] }\n  read_graph: { rules: [{ action: allow }] }\n`,
    );
    const a = insertAgentWithKey(t.db, { name: "memory-agent" });
    const { client } = await connectStdio(["--server", "memory"], {
      PORTCULLIS_DB: t.file,
      PORTCULLIS_AGENT_KEY: a.key,
    });
    expect((await client.listTools()).tools.map((x) => x.name).sort()).toEqual([
      "create_entities",
      "read_graph",
    ]);
    const created = await client.callTool({
      name: "create_entities",
      arguments: {
        entities: [{ name: "Ada", entityType: "person", observations: ["wrote notes"] }],
      },
    });
    expect(created.isError).toBeFalsy();
    expect(
      JSON.stringify((await client.callTool({ name: "read_graph", arguments: {} })).content),
    ).toContain("Ada");
    const del = await client.callTool({
      name: "delete_entities",
      arguments: { entityNames: ["Ada"] },
    });
    expect((del.content as { text: string }[])[0]?.text).toContain(
      'Tool "delete_entities" is not permitted by policy',
    );
    await client.close();
    const rows = auditRows(t.db).filter(
      (r) => r.server === "memory" && r.action === "tool_call.decide",
    );
    expect(rows.every((r) => r.actorId === a.agent.id && r.actorType === "agent")).toBe(true);
    expect(verifyChain(t.db).ok).toBe(true);
  });

  it("needs an agent key when the server's policy is default deny, and refuses a bad one", async () => {
    const missing = await runCli(["run", "--server", "memory"], { PORTCULLIS_DB: t.file });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      "needs an agent identity: pass --agent-key or set PORTCULLIS_AGENT_KEY",
    );
    const bad = await runCli(["run", "--server", "memory", "--agent-key", "pcs_wrong"], {
      PORTCULLIS_DB: t.file,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("the agent key was refused (unknown key)");
    const unknown = await runCli(["run", "--server", "nope", "--", process.execPath, "-e", "0"], {
      PORTCULLIS_DB: t.file,
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No upstream server named "nope"');
  });
});

describe("MCP Inspector CLI through the proxy", () => {
  it("lists tools of server-everything via portcullis run", async () => {
    const file = policyFile("inspector.yaml", `version: "1"\ndefault: allow\nhide: [get-env]\n`);
    const nodeModules = path.join(REPO_ROOT_FOR_TESTS, "node_modules");
    const res = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          path.join(nodeModules, "@modelcontextprotocol/inspector-cli/build/cli.js"),
          "--cli",
          process.execPath,
          CLI_BUNDLE,
          "run",
          "--policy",
          file,
          process.execPath,
          serverEntry("everything"),
          "stdio",
          "--method",
          "tools/list",
        ],
        { cwd: nodeModules, env: childEnv({ PORTCULLIS_DB: t.file }) },
      );
      let out = "";
      let err = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.stderr.on("data", (c: Buffer) => (err += c.toString()));
      child.on("exit", (code) => resolve({ code, out, err }));
    });
    expect(res.code, res.err).toBe(0);
    const listed = JSON.parse(res.out) as { tools: { name: string }[] };
    expect(listed.tools.map((x) => x.name)).toContain("echo");
    expect(listed.tools.map((x) => x.name)).not.toContain("get-env");
  });
});
