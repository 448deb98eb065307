import fs from "node:fs";
import path from "node:path";

import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import {
  connectHttp,
  connectStdio,
  ensureCliBundle,
  FIXTURES,
  must,
  serverEntry,
  tempDatabase,
} from "@/lib/testing/proxy";
import { gatewayTestOptions } from "./helpers";
import { type Gateway, startGateway } from "../serve";

/*
 * A refusal must be a valid result for every tool. server-filesystem declares an outputSchema on
 * each tool; an SDK client that listed the tools checks a result's structuredContent against it
 * and throws (-32602) when it does not match, so a refusal must carry its details in _meta only.
 */

let t: ReturnType<typeof tempDatabase>;
let root: string;

type ToolResult = Awaited<ReturnType<Client["callTool"]>>;

const FS_POLICY = `version: "1"
default: allow
tools:
  write_file:
    rules:
      - name: no writes
        action: deny
        reason: "Writes are off"
  edit_file:
    rules:
      - name: edits need a human
        action: require_approval
  list_directory:
    rules:
      - name: one listing
        rate_limit: 1/hour
`;

const REC_POLICY = `version: "1"
default: allow
tools:
  record:
    rules:
      - name: small numbers
        conditions: [{ path: args.n, op: lt, value: 10 }]
`;

const text = (result: ToolResult) => must((result.content as { text: string }[])[0]).text;
const decision = (result: ToolResult) =>
  must(result._meta?.["portcullis/decision"], "decision details") as Record<string, unknown>;

/** What every refusal must look like, whatever the tool's output schema. */
function expectRefusal(result: ToolResult, message: string): Record<string, unknown> {
  expect(result.isError).toBe(true);
  expect(result.structuredContent).toBeUndefined();
  expect(text(result)).toMatch(/^\[POLICY DENIED\] .* \(decision evt_\w+\)$/);
  expect(text(result)).toContain(message);
  const details = decision(result);
  expect(details.decisionId).toMatch(/^evt_/);
  expect(text(result)).toContain(String(details.decisionId));
  return details;
}

/** The same scenario through either transport: server-filesystem behind FS_POLICY. */
async function filesystemRefusals(client: Client): Promise<void> {
  const tools = (await client.listTools()).tools;
  const write = must(tools.find((x) => x.name === "write_file"));
  expect(write.outputSchema).toBeDefined();

  const target = path.join(root, "denied.txt");
  const denied = await client.callTool({
    name: "write_file",
    arguments: { path: target, content: "x" },
  });
  const details = expectRefusal(denied, "[POLICY DENIED] Writes are off");
  expect(details).toMatchObject({ rule: "no writes", cause: "rule" });
  expect(fs.existsSync(target)).toBe(false);

  const first = await client.callTool({ name: "list_directory", arguments: { path: root } });
  expect(first.isError).toBeFalsy();
  expect(first.structuredContent).toBeDefined();
  const limited = await client.callTool({ name: "list_directory", arguments: { path: root } });
  const limit = expectRefusal(limited, "Rate limit of 1 per hour reached");
  expect(limit).toMatchObject({ rule: "one listing", cause: "rate_limit" });
  expect(limit.retryAfterSeconds).toBeGreaterThan(0);

  const edit = await client.callTool({
    name: "edit_file",
    arguments: { path: path.join(root, "notes.txt"), edits: [{ oldText: "h", newText: "j" }] },
  });
  expect(edit.isError).toBe(true);
  expect(edit.structuredContent).toBeUndefined();
  expect(text(edit)).toMatch(/^\[APPROVAL PENDING\] Tool "edit_file" needs approval apr_/);
  expect(edit._meta?.["portcullis/approval"]).toMatchObject({
    status: "pending",
    rule: "edits need a human",
  });
  expect(fs.readFileSync(path.join(root, "notes.txt"), "utf8")).toBe("hello");
}

beforeAll(async () => {
  await ensureCliBundle();
  t = tempDatabase();
  root = fs.realpathSync(fs.mkdtempSync(path.join(t.dir, "fs-")));
  fs.writeFileSync(path.join(root, "notes.txt"), "hello");
});
afterAll(() => t?.cleanup());

describe("refusals through portcullis run --policy (stdio)", () => {
  it("returns a refusal of a tool with an outputSchema instead of throwing", async () => {
    const file = path.join(t.dir, "fs.yaml");
    fs.writeFileSync(file, FS_POLICY);
    const { client } = await connectStdio(
      ["--policy", file, "--", process.execPath, serverEntry("filesystem"), root],
      { PORTCULLIS_DB: t.file, PORTCULLIS_APPROVAL_WAIT_MS: "0" },
    );
    await filesystemRefusals(client);
    await client.close();
  });

  it("returns a refusal of a tool without an outputSchema the same way", async () => {
    const file = path.join(t.dir, "rec.yaml");
    fs.writeFileSync(file, REC_POLICY);
    const { client } = await connectStdio(
      ["--policy", file, "--", process.execPath, path.join(FIXTURES, "recording-server.mjs")],
      { PORTCULLIS_DB: t.file },
    );
    const record = must((await client.listTools()).tools.find((x) => x.name === "record"));
    expect(record.outputSchema).toBeUndefined();
    expect((await client.callTool({ name: "record", arguments: { n: 1 } })).content).toEqual([
      { type: "text", text: "recorded 1" },
    ]);
    const denied = await client.callTool({ name: "record", arguments: { n: 50 } });
    expect(expectRefusal(denied, 'Denied by rule "small numbers"')).toMatchObject({
      rule: "small numbers",
      cause: "condition",
    });
    await client.close();
  });
});

describe("refusals through the HTTP gateway", () => {
  let gw: Gateway;
  let key: string;

  beforeAll(async () => {
    const files = insertUpstream(t.db, {
      name: "files",
      command: process.execPath,
      args: [serverEntry("filesystem"), root],
    });
    insertPolicyVersion(t.db, files.id, FS_POLICY);
    const rec = insertUpstream(t.db, {
      name: "rec",
      command: process.execPath,
      args: [path.join(FIXTURES, "recording-server.mjs")],
    });
    insertPolicyVersion(t.db, rec.id, REC_POLICY);
    key = insertAgentWithKey(t.db, { name: "refusals-agent" }).key;
    gw = await startGateway(gatewayTestOptions(t.db));
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("returns refusals and pending approvals of tools with an outputSchema", async () => {
    const { client } = await connectHttp(`${gw.url}/mcp/files`, key);
    await filesystemRefusals(client);
    await client.close();
  });

  it("returns a refusal of a tool without an outputSchema", async () => {
    const { client } = await connectHttp(`${gw.url}/mcp/rec`, key);
    await client.listTools();
    const denied = await client.callTool({ name: "record", arguments: { n: 11 } });
    expectRefusal(denied, 'Denied by rule "small numbers"');
    await client.close();
  });
});
