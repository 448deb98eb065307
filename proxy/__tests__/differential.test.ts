import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { canonicalJson } from "@/lib/core/canonical-json";
import { loadPolicy } from "@/lib/core/policy";
import { auditArguments, isSecretKey } from "@/lib/services/enforcement";
import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import {
  auditRows,
  childEnv,
  CLI_BUNDLE,
  ensureCliBundle,
  FIXTURES,
  must,
  tempDatabase,
} from "@/lib/testing/proxy";
import { gatewayTestOptions } from "./helpers";
import { type Gateway, startGateway } from "../serve";

/*
 * INV-2 as a differential property: for generated argument objects, sent as raw JSON text (so no
 * client library rewrites keys), what the upstream receives, what the policy evaluated and what the
 * audit row records are the same JSON, over stdio (`portcullis run --policy`) and over HTTP.
 *
 * - upstream: the recording fixture's `record_any` writes the raw JSON-RPC line it was sent.
 * - evaluated: each call runs under a policy that pins every top-level argument with `eq` to the
 *   value sent (deep, strict JSON equality over own keys), so "allowed" means the engine saw it.
 * - audited: `full` stores the canonical JSON, `hash` its digest, `redacted` every key (values
 *   under secret-looking keys masked).
 */

type Json = null | boolean | number | string | Json[] | { entries: [string, Json][] };
type Mode = "full" | "redacted" | "hash";
type Reply = {
  id?: unknown;
  result?: { content?: unknown };
  error?: { code: number; message: string };
};

const RECORDER = path.join(FIXTURES, "recording-server.mjs");
const SPECIAL_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "",
  "a.b",
  "0",
  "x'y\"]",
  "ключ",
  "🔑",
  "line\nbreak",
];
const SPECIAL_NUMBERS = [
  1.7976931348623157e308,
  -1.7976931348623157e308,
  5e-324,
  -5e-324,
  2 ** 53 + 2,
  -(2 ** 53) - 2,
  1e21,
  1e-7,
  0.1,
  -0,
  123456789012345678901234567890,
];

const key = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_KEYS) },
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) },
);
const leaf: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom(...SPECIAL_NUMBERS),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.string({ unit: "binary", maxLength: 12 }),
);
const entriesOf = (value: fc.Arbitrary<Json>) =>
  fc.uniqueArray(fc.tuple(key, value), { selector: ([k]) => k, maxLength: 4 });
const { json } = fc.letrec<{ json: Json; list: Json[]; object: Json }>((tie) => ({
  json: fc.oneof({ depthSize: "small" }, leaf, tie("list"), tie("object")),
  list: fc.array(tie("json"), { maxLength: 4 }),
  object: entriesOf(tie("json")).map((entries) => ({ entries })),
}));
const argumentsArb = entriesOf(json).map((entries): Json => ({ entries }));

/** JSON text; `ascii` escapes every other character, so YAML reads it back unchanged. */
function text(value: Json, ascii = false): string {
  if (value === null || typeof value !== "object") {
    if (typeof value !== "string" || !ascii) return JSON.stringify(value);
    let out = '"';
    for (const ch of value) {
      const cp = ch.codePointAt(0) as number;
      if (ch === '"' || ch === "\\") out += `\\${ch}`;
      else if (cp >= 0x20 && cp <= 0x7e) out += ch;
      else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, "0")}`;
      else out += `\\U${cp.toString(16).padStart(8, "0")}`;
    }
    return `${out}"`;
  }
  if (Array.isArray(value)) return `[${value.map((v) => text(v, ascii)).join(",")}]`;
  return `{${value.entries.map(([k, v]) => `${text(k, ascii)}:${text(v, ascii)}`).join(",")}}`;
}

/** A policy under which the call is allowed only if the engine saw every top-level value sent. */
function pinPolicy(args: Json, mode: Mode): string {
  const pins = (args as { entries: [string, Json][] }).entries
    .filter(([k]) => !k.includes('"]') || !k.includes("']"))
    .map(([k, v]) => {
      const pathText = k.includes('"]') ? `args['${k}']` : `args["${k}"]`;
      return `          - { path: ${text(pathText, true)}, op: eq, value: ${text(v, true)} }\n`;
    });
  return `version: "1"
audit:
  arguments: ${mode}
tools:
  record_any:
    rules:
      - validate: { schema: true }
${pins.length > 0 ? `      - name: pinned\n        conditions:\n${pins.join("")}` : ""}`;
}

/** Every key of every object, as paths; descent stops at a key `stopAt` accepts. */
function keyPaths(value: unknown, stopAt: (key: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (v: unknown, at: string) => {
    if (Array.isArray(v)) v.forEach((item, i) => walk(item, `${at}[${i}]`));
    else if (v !== null && typeof v === "object") {
      for (const [k, item] of Object.entries(v)) {
        out.push(`${at}.${JSON.stringify(k)}`);
        if (!stopAt(k)) walk(item, `${at}.${JSON.stringify(k)}`);
      }
    }
  };
  walk(value, "$");
  return out.sort();
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** One way of talking to the gateway: stdio (`portcullis run`) or Streamable HTTP. */
type Channel = {
  source: "stdio" | "gateway";
  recordFile: string;
  setPolicy: (yaml: string) => void;
  send: (raw: string, id: number) => Promise<Reply>;
  close: () => Promise<void>;
};

let t: ReturnType<typeof tempDatabase>;
let nextId = 100;

beforeAll(async () => {
  await ensureCliBundle();
  t = tempDatabase();
});
afterAll(() => t?.cleanup());

const INIT = (id: number) =>
  JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "raw", version: "1" },
    },
  });
const INITIALIZED = JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" });
const toolCall = (id: number, argsText: string) =>
  `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"record_any","arguments":${argsText}}}`;

async function stdioChannel(): Promise<Channel> {
  const policyFile = path.join(t.dir, "differential.yaml");
  const recordFile = path.join(t.dir, "stdio.jsonl");
  const setPolicy = (yaml: string) => {
    // A new file each time: the reload check compares mtime, size and inode.
    const next = `${policyFile}.next`;
    fs.writeFileSync(next, yaml);
    fs.renameSync(next, policyFile);
  };
  setPolicy(pinPolicy({ entries: [] }, "full"));
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI_BUNDLE, "run", "--policy", policyFile, "--", process.execPath, RECORDER],
    {
      env: childEnv({ PORTCULLIS_DB: t.file, RECORD_FILE: recordFile }),
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const waiting = new Map<unknown, (m: Reply) => void>();
  readline.createInterface({ input: must(child.stdout) }).on("line", (line) => {
    const msg = JSON.parse(line) as Reply;
    waiting.get(msg.id)?.(msg);
    waiting.delete(msg.id);
  });
  const send = (raw: string, id: number) =>
    new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${id}:\n${stderr}`)), 10_000);
      waiting.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      must(child.stdin).write(`${raw}\n`);
    });
  await send(INIT(1), 1);
  must(child.stdin).write(`${INITIALIZED}\n`);
  return {
    source: "stdio",
    recordFile,
    setPolicy,
    send,
    close: async () => {
      const exited = new Promise((r) => child.once("exit", r));
      must(child.stdin).end();
      await exited;
    },
  };
}

async function httpChannel(): Promise<Channel> {
  const recordFile = path.join(t.dir, "http.jsonl");
  const upstream = insertUpstream(t.db, {
    name: "differential",
    command: process.execPath,
    args: [RECORDER],
    env: { RECORD_FILE: recordFile },
  });
  insertPolicyVersion(t.db, upstream.id, pinPolicy({ entries: [] }, "full"));
  const { key } = insertAgentWithKey(t.db, { name: "differential-agent" });
  const gw: Gateway = await startGateway(gatewayTestOptions(t.db));
  const url = `${gw.url}/mcp/differential`;
  let session: string | null = null;
  const post = async (raw: string) => {
    const res = await fetch(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-06-18",
        ...(session ? { "mcp-session-id": session } : {}),
      },
      body: raw,
    });
    session ??= res.headers.get("mcp-session-id");
    return res;
  };
  const send = async (raw: string, id: number): Promise<Reply> => {
    const res = await post(raw);
    const body = await res.text();
    if (!(res.headers.get("content-type") ?? "").includes("text/event-stream"))
      return JSON.parse(body) as Reply;
    const messages = body
      .split("\n")
      .filter((l) => l.startsWith("data:"))
      .map((l) => JSON.parse(l.slice(5)) as Reply);
    return must(
      messages.find((m) => m.id === id),
      `answer to ${id}`,
    );
  };
  await send(INIT(1), 1);
  await post(INITIALIZED);
  return {
    source: "gateway",
    recordFile,
    setPolicy: (yaml) => void insertPolicyVersion(t.db, upstream.id, yaml),
    send,
    close: () => gw.close(),
  };
}

const recorded = (ch: Channel): string[] =>
  fs.existsSync(ch.recordFile)
    ? fs.readFileSync(ch.recordFile, "utf8").split("\n").filter(Boolean)
    : [];

const lastDecision = (ch: Channel) =>
  must(
    auditRows(t.db).findLast(
      (r) => r.action === "tool_call.decide" && r.source === ch.source && r.tool === "record_any",
    ),
    "decision row",
  );

/** Installs the pins for `args`; they must load cleanly, or the previous pins would decide. */
function setPinnedPolicy(ch: Channel, args: Json, mode: Mode): void {
  const yaml = pinPolicy(args, mode);
  const loaded = loadPolicy(yaml);
  expect(loaded.ok ? loaded.warnings : loaded.errors).toEqual([]);
  ch.setPolicy(yaml);
}

/** One generated call: sent, evaluated, forwarded and audited as the same JSON. */
async function roundTrip(ch: Channel, args: Json, mode: Mode): Promise<void> {
  const argsText = text(args);
  const sent = JSON.parse(argsText) as Record<string, unknown>;
  const canonical = canonicalJson(sent);
  setPinnedPolicy(ch, args, mode);
  const id = nextId++;
  const reply = await ch.send(toolCall(id, argsText), id);
  // Allowed: every pin held, so the engine evaluated exactly the values sent.
  expect(reply).toMatchObject({ id, result: { content: [{ type: "text", text: "ok" }] } });

  const line = JSON.parse(must(recorded(ch).at(-1))) as { raw: string };
  const received = (JSON.parse(line.raw) as { params: { arguments: unknown } }).params.arguments;
  expect(canonicalJson(received)).toBe(canonical);
  expect(keyPaths(received)).toEqual(keyPaths(sent));

  const row = lastDecision(ch);
  expect(row).toMatchObject({ decision: "allow", argumentsMode: mode });
  const audited = must(row.arguments);
  if (mode === "full") expect(audited).toBe(canonical);
  else if (mode === "hash")
    expect(JSON.parse(audited)).toEqual({ alg: "sha256", digest: sha256(canonical) });
  else {
    expect(audited).toBe(auditArguments(sent, "redacted"));
    expect(keyPaths(JSON.parse(audited))).toEqual(keyPaths(sent, isSecretKey));
  }
}

/** A number that does not fit a double is refused before classification, audited once, never forwarded. */
async function nonFiniteRefused(ch: Channel): Promise<void> {
  ch.setPolicy(`version: "1"
audit:
  arguments: full
tools:
  record_any:
    rules:
      - action: require_approval
        conditions: [{ path: args.a, op: gt, value: 1000 }]
      - validate: { schema: true }
`);
  const rowsBefore = auditRows(t.db).length;
  const forwardedBefore = recorded(ch).length;
  for (const [argsText, where] of [
    ['{"a":1e309}', "$.params.arguments.a"],
    ['{"ok":1,"x":[1,{"__proto__":-1e999}]}', "$.params.arguments.x[1].__proto__"],
  ] as const) {
    const id = nextId++;
    const reply = await ch.send(toolCall(id, argsText), id);
    expect(reply).toMatchObject({ id, error: { code: -32700 } });
    expect(must(reply.error).message).toContain(`number out of range at ${where}`);
  }
  // Outcome rows of earlier calls are written in batches and may land here too.
  const rows = auditRows(t.db)
    .slice(rowsBefore)
    .filter((r) => r.action !== "tool_call.outcome");
  expect(rows.map((r) => [r.action, r.cause, r.decision])).toEqual([
    ["message.refuse", "malformed", "deny"],
    ["message.refuse", "malformed", "deny"],
  ]);
  expect(rows[0]?.reason).toContain("$.params.arguments.a");
  expect(rows[1]?.reason).toContain("$.params.arguments.x[1].__proto__");
  expect(recorded(ch).length).toBe(forwardedBefore);
}

const RUNS = 40;
const property = (ch: () => Channel) =>
  fc.assert(
    fc.asyncProperty(
      argumentsArb,
      fc.constantFrom<Mode>("full", "full", "redacted", "hash"),
      (a, m) => roundTrip(ch(), a, m),
    ),
    { numRuns: RUNS },
  );

const FIXED: Json = {
  entries: [
    [
      "__proto__",
      {
        entries: [
          ["x", 1],
          ["__proto__", [2]],
        ],
      },
    ],
    ["constructor", { entries: [["prototype", 3]] }],
    [
      "n",
      {
        entries: [
          ["__proto__", null],
          ["big", 1.7976931348623157e308],
        ],
      },
    ],
    ["ключ", "🔑"],
  ],
};

describe.each([
  ["stdio (portcullis run --policy)", stdioChannel],
  ["Streamable HTTP (gateway)", httpChannel],
])("what is checked is what is forwarded and audited: %s", (_name, open) => {
  let ch: Channel;
  beforeAll(async () => {
    ch = await open();
  });
  afterAll(async () => {
    await ch?.close();
  });

  it.each<Mode>(["full", "redacted", "hash"])(
    "__proto__ and constructor keys, nested too, reach the upstream and the %s audit row",
    async (mode) => {
      await roundTrip(ch, FIXED, mode);
    },
  );

  it("the pins see nested keys: without the nested __proto__ the same call is refused", async () => {
    setPinnedPolicy(ch, FIXED, "full");
    const id = nextId++;
    const before = recorded(ch).length;
    const altered = text(FIXED).replace(',"__proto__":[2]', "");
    expect(altered).not.toBe(text(FIXED));
    const reply = await ch.send(toolCall(id, altered), id);
    expect(reply).toMatchObject({ id, result: { isError: true } });
    expect(lastDecision(ch)).toMatchObject({ decision: "deny", rule: "pinned" });
    expect(recorded(ch).length).toBe(before);
  });

  it("refuses numbers that parse to Infinity, with the request id, audited once", async () => {
    await nonFiniteRefused(ch);
  });

  it("generated arguments: upstream = evaluated = audited", async () => {
    await property(() => ch);
  });
});
