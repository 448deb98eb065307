import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import {
  childEnv,
  CLI_BUNDLE,
  ensureCliBundle,
  eventually,
  FIXTURES,
  must,
  tempDatabase,
} from "@/lib/testing/proxy";
import {
  INITIALIZED_TEXT,
  initializeText,
  type RawReply,
  rawHttpSession,
} from "@/lib/testing/raw-mcp";
import { reportFigures, scale } from "@/lib/testing/reliability";
import { type Gateway, startGateway } from "../serve";
import { gatewayTestOptions } from "./helpers";

/*
 * Generated JSON-RPC, well-formed and not, against the Streamable HTTP gateway and the stdio
 * framing of `portcullis run`, in front of server-everything (wrapped so every tools/call it
 * receives is logged). Nothing may crash or hang; every tools/call is decided and audited once;
 * nothing reaches the upstream that was not evaluated and allowed.
 */

const MESSAGES = scale(1_500, 60_000); // per transport
const SEED = Number(process.env.PORTCULLIS_FUZZ_SEED ?? Date.now() % 1_000_000);
const UPSTREAM = path.join(FIXTURES, "logging-upstream.mjs");
const POLICY = `version: "1"
default: allow
hide: [get-env]
audit:
  arguments: full
tools:
  echo:
    rules:
      - name: no secrets
        action: evaluate
        conditions: [{ path: args.message, op: not_contains, value: "secret" }]
`;

/** What the test expects of one generated message. */
type Kind =
  | "call" // a well-formed tools/call: one decision row, forwarded only if allowed
  | "refused" // refused before any decision (malformed, a batch, an unknown method): one refusal row
  | "other"; // passed through or ignored (ping, tools/list, responses): no promise about rows
type Sent = { kind: Kind; text: string; id?: string | number; marker?: number };

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const toolName = fc.oneof(
  fc.constantFrom("echo", "echo", "get-sum", "get-env", "no-such-tool"),
  fc.string({ minLength: 1, maxLength: 20 }),
);
const args = fc.dictionary(fc.string({ maxLength: 8 }), jsonValue, { maxKeys: 5 });
const echoArgs = fc.record({ message: fc.oneof(fc.string(), fc.constant("a secret")) });

/** One message as a builder: ids and markers are assigned in order, so every call is unique. */
type Build = (id: number) => Sent;

const call: fc.Arbitrary<Build> = fc
  .tuple(toolName, fc.oneof(args, echoArgs), fc.boolean(), fc.boolean())
  .map(([name, a, stringId, progress]) => (n) => {
    const id = stringId ? `c-${n}` : n;
    const params: Record<string, unknown> = { name, arguments: { ...a, fuzz: n } };
    if (progress) params._meta = { progressToken: `p${n}` };
    return {
      kind: "call",
      id,
      marker: n,
      text: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params }),
    };
  });

const badParams = fc.oneof(
  fc.constant(undefined),
  fc.constant({}),
  fc.record({ name: fc.oneof(fc.integer(), fc.constant(""), fc.constant(null), fc.boolean()) }),
  fc.record({
    name: fc.constant("echo"),
    arguments: fc.oneof(
      fc.array(jsonValue, { maxLength: 3 }),
      fc.string(),
      fc.constant(null),
      fc.integer(),
    ),
  }),
  fc.array(jsonValue, { maxLength: 2 }),
);
const badCall: fc.Arbitrary<Build> = badParams.map((params) => (n) => ({
  kind: "refused",
  id: n,
  text: JSON.stringify({ jsonrpc: "2.0", id: n, method: "tools/call", params }),
}));

const refusedFrames: fc.Arbitrary<Build> = fc.oneof(
  // tools/call as a notification (no id): never forwarded
  args.map((a) => () => ({
    kind: "refused" as const,
    text: JSON.stringify({
      jsonrpc: "2.0",
      method: "tools/call",
      params: { name: "echo", arguments: a },
    }),
  })),
  // not JSON at all
  fc
    .string({ minLength: 1, maxLength: 40 })
    .filter((s) => {
      if (s.includes("\n") || s.includes("\r") || s.trim() === "") return false;
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    })
    .map((s) => () => ({ kind: "refused" as const, text: s })),
  // a batch, even of valid calls
  fc.integer({ min: 1, max: 3 }).map((k) => (n: number) => ({
    kind: "refused" as const,
    text: JSON.stringify(
      Array.from({ length: k }, (_, i) => ({
        jsonrpc: "2.0",
        id: `b-${n}-${i}`,
        method: "tools/call",
        params: { name: "echo", arguments: { message: "batched" } },
      })),
    ),
  })),
  // JSON that is not an object
  fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.boolean()).map((v) => () => ({
    kind: "refused" as const,
    text: JSON.stringify(v),
  })),
  // wrong version, bad id, bad method, bad params
  fc
    .constantFrom(
      (n: number) => ({ jsonrpc: "1.0", id: n, method: "tools/call", params: { name: "echo" } }),
      (n: number) => ({ id: n, method: "tools/call", params: { name: "echo" } }),
      () => ({ jsonrpc: "2.0", id: { x: 1 }, method: "tools/call", params: { name: "echo" } }),
      () => ({ jsonrpc: "2.0", id: null, method: "tools/call", params: { name: "echo" } }),
      (n: number) => ({ jsonrpc: "2.0", id: n, method: 7, params: {} }),
      (n: number) => ({ jsonrpc: "2.0", id: n, method: "tools/call", params: "echo" }),
      (n: number) => ({ jsonrpc: "2.0", id: n, method: "no/such-method", params: {} }),
    )
    .map((f) => (n: number) => ({ kind: "refused" as const, text: JSON.stringify(f(n)) })),
  // numbers that parse to Infinity, and nesting past the depth limit
  fc
    .constantFrom(
      (n: number) =>
        `{"jsonrpc":"2.0","id":${n},"method":"tools/call","params":{"name":"echo","arguments":{"message":"x","n":1e999}}}`,
      (n: number) =>
        `{"jsonrpc":"2.0","id":${n},"method":"tools/call","params":{"name":"echo","arguments":{"deep":${"[".repeat(80)}${"]".repeat(80)}}}}`,
    )
    .map((f) => (n: number) => ({ kind: "refused" as const, text: f(n) })),
);

const other: fc.Arbitrary<Build> = fc
  .constantFrom(
    (n: number) => ({ jsonrpc: "2.0", id: `o-${n}`, method: "ping" }),
    (n: number) => ({ jsonrpc: "2.0", id: `o-${n}`, method: "tools/list", params: {} }),
    (n: number) => ({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: `none-${n}` },
    }),
    (n: number) => ({ jsonrpc: "2.0", id: `unknown-${n}`, result: {} }),
  )
  .map((f) => (n: number) => ({ kind: "other" as const, text: JSON.stringify(f(n)) }));

const message = fc.oneof(
  { weight: 6, arbitrary: call },
  { weight: 1, arbitrary: badCall },
  { weight: 2, arbitrary: refusedFrames },
  { weight: 1, arbitrary: other },
);

/** `count` generated messages from `seed`, with unique ids and markers from `first` on. */
function generate(count: number, seed: number, first: number): Sent[] {
  return fc.sample(message, { numRuns: count, seed }).map((build, i) => build(first + i));
}

type Reply = RawReply;
type Channel = {
  source: "stdio" | "gateway";
  recordFile: string;
  /** Sends a slice of messages; resolves with the replies to every one that had an id. */
  send: (batch: Sent[]) => Promise<Map<string, Reply>>;
  alive: () => Promise<boolean>;
  close: () => Promise<void>;
};

let t: ReturnType<typeof tempDatabase>;

beforeAll(async () => {
  await ensureCliBundle();
  t = tempDatabase();
});
afterAll(() => t?.cleanup());

const INIT = initializeText("fuzz");
const INITIALIZED = INITIALIZED_TEXT;

async function stdioChannel(): Promise<Channel> {
  const policyFile = path.join(t.dir, "fuzz.yaml");
  fs.writeFileSync(policyFile, POLICY);
  const recordFile = path.join(t.dir, "stdio-received.jsonl");
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI_BUNDLE, "run", "--policy", policyFile, "--", process.execPath, UPSTREAM],
    {
      env: childEnv({ PORTCULLIS_DB: t.file, RECORD_FILE: recordFile }),
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr = (stderr + c.toString("utf8")).slice(-4000)));
  let exit: string | null = null;
  child.once("exit", (code, signal) => (exit = `exited ${code ?? signal}`));
  const replies = new Map<string, Reply>();
  let waiter: (() => void) | null = null;
  readline.createInterface({ input: must(child.stdout) }).on("line", (line) => {
    const msg = JSON.parse(line) as Reply & { method?: string };
    if (msg.method) return; // notifications (progress, list changes)
    replies.set(JSON.stringify(msg.id), msg);
    waiter?.();
  });
  const waitFor = async (ids: string[]) => {
    const deadline = Date.now() + 20_000;
    while (ids.some((id) => !replies.has(id))) {
      if (exit) throw new Error(`portcullis run ${exit}:\n${stderr}`);
      if (Date.now() > deadline)
        throw new Error(
          `no answer to ${ids
            .filter((id) => !replies.has(id))
            .slice(0, 5)
            .join(", ")} (hang):\n${stderr}`,
        );
      await new Promise<void>((r) => {
        waiter = r;
        setTimeout(r, 50);
      });
    }
  };
  must(child.stdin).write(`${INIT}\n`);
  await waitFor(['"init"']);
  must(child.stdin).write(`${INITIALIZED}\n`);
  return {
    source: "stdio",
    recordFile,
    send: async (batch) => {
      must(child.stdin).write(batch.map((m) => `${m.text}\n`).join(""));
      // Requests the proxy must answer: every well-formed request, and refused ones with a usable id.
      const ids = batch.filter((m) => m.id !== undefined).map((m) => JSON.stringify(m.id));
      await waitFor(ids);
      const out = new Map<string, Reply>();
      for (const id of ids) out.set(id, must(replies.get(id)));
      for (const id of ids) replies.delete(id);
      return out;
    },
    alive: () => Promise.resolve(exit === null),
    close: async () => {
      const exited = new Promise((r) => child.once("exit", r));
      must(child.stdin).end();
      await exited;
    },
  };
}

async function httpChannel(): Promise<Channel> {
  const recordFile = path.join(t.dir, "gateway-received.jsonl");
  const upstream = insertUpstream(t.db, {
    name: "fuzz",
    command: process.execPath,
    args: [UPSTREAM],
    env: { RECORD_FILE: recordFile },
  });
  insertPolicyVersion(t.db, upstream.id, POLICY);
  const { key } = insertAgentWithKey(t.db, { name: "fuzz-agent" });
  const gw: Gateway = await startGateway(gatewayTestOptions(t.db, { maxSessions: 4 }));
  const url = `${gw.url}/mcp/fuzz`;
  const post = rawHttpSession(url, key);
  await post(INIT);
  await post(INITIALIZED);
  return {
    source: "gateway",
    recordFile,
    send: async (batch) => {
      const out = new Map<string, Reply>();
      // A few clients' worth of concurrency, in the same session.
      const lanes = 4;
      await Promise.all(
        Array.from({ length: lanes }, async (_, lane) => {
          for (let i = lane; i < batch.length; i += lanes) {
            const m = must(batch[i]);
            const { status, messages } = await post(m.text);
            if (status >= 500) throw new Error(`HTTP ${status} for ${m.text.slice(0, 200)}`);
            for (const r of messages) if ("id" in r) out.set(JSON.stringify(r.id), r);
          }
        }),
      );
      return out;
    },
    alive: async () => (await fetch(`${gw.url}/healthz`)).ok,
    close: () => gw.close(),
  };
}

const rowsOf = (source: string) =>
  t.db.$client
    .prepare(
      "SELECT action, decision, request_id AS requestId, arguments FROM audit_events WHERE source = ? AND action IN ('tool_call.decide', 'message.refuse')",
    )
    .all(source) as {
    action: string;
    decision: string;
    requestId: string | null;
    arguments: string | null;
  }[];

const received = (ch: Channel) =>
  fs.existsSync(ch.recordFile)
    ? fs
        .readFileSync(ch.recordFile, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { params?: { arguments?: { fuzz?: unknown } } })
    : [];

describe.each([
  ["stdio framing (portcullis run)", stdioChannel],
  ["Streamable HTTP gateway", httpChannel],
])("generated JSON-RPC: %s", (name, open) => {
  let ch: Channel;
  beforeAll(async () => {
    ch = await open();
  }, 60_000);
  afterAll(async () => {
    await ch?.close();
  });

  it(
    `${MESSAGES} messages: no crash, no hang, every tools/call decided and audited once, nothing forwarded unevaluated`,
    async () => {
      const chunk = 250;
      const sent: Sent[] = [];
      const first = name.startsWith("stdio") ? 1 : 10_000_000;
      for (let i = 0; i < MESSAGES; i += chunk) {
        const batch = generate(Math.min(chunk, MESSAGES - i), SEED + i, first + i);
        const replies = await ch.send(batch);
        for (const m of batch.filter((x) => x.kind === "call"))
          expect(replies.has(JSON.stringify(m.id)), `reply to ${m.text.slice(0, 120)}`).toBe(true);
        sent.push(...batch);
      }
      expect(await ch.alive()).toBe(true);

      const calls = sent.filter((m) => m.kind === "call");
      const refused = sent.filter((m) => m.kind === "refused");
      const rows = rowsOf(ch.source);
      const decided = rows.filter((r) => r.action === "tool_call.decide");
      // Each call exactly once, under its own request id.
      const byId = new Map<string, number>();
      for (const r of decided) byId.set(must(r.requestId), (byId.get(must(r.requestId)) ?? 0) + 1);
      expect(decided).toHaveLength(calls.length);
      expect(calls.filter((m) => byId.get(String(m.id)) !== 1).map((m) => m.text)).toEqual([]);
      expect(rows.filter((r) => r.action === "message.refuse")).toHaveLength(refused.length);

      // The upstream received exactly the allowed calls, each carrying its marker.
      const allowed = new Set(
        decided
          .filter((r) => r.decision === "allow")
          .map((r) => (JSON.parse(r.arguments ?? "{}") as { fuzz?: number }).fuzz),
      );
      const got = await eventually(() => {
        const r = received(ch);
        return r.length >= allowed.size ? r : null;
      });
      const markers = got.map((r) => r.params?.arguments?.fuzz);
      expect(markers.filter((m) => !allowed.has(m as number))).toEqual([]);
      expect(new Set(markers).size).toBe(markers.length);
      expect(markers).toHaveLength(allowed.size);

      reportFigures(`fuzz ${ch.source}`, {
        seed: SEED,
        messages: sent.length,
        toolCalls: calls.length,
        refusedFrames: refused.length,
        allowedAndForwarded: allowed.size,
        deniedNotForwarded: calls.length - allowed.size,
      });
    },
    scale(60_000, 3_600_000),
  );
});
