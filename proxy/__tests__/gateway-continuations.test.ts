import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import { type ModernServer, startModernServer } from "@/lib/testing/modern";
import { serverEntry, tempDatabase } from "@/lib/testing/proxy";
import { type Gateway, startGateway } from "../serve";
import { gatewayTestOptions } from "./helpers";

/*
 * A stateless call that asked its client for input continues with one retry, decided without
 * charging its limits twice. That retry is good once: sent again, it is a new call, charged and
 * checked like any other, and it never starts the call over upstream.
 */

const ONCE = `version: "1"
default: allow
tools:
  ask:
    rules:
      - name: one question an hour
        rate_limit: 1/hour
`;

let t: ReturnType<typeof tempDatabase>;
let gw: Gateway;
let modern: ModernServer;
let key: string;

beforeAll(async () => {
  t = tempDatabase();
  modern = await startModernServer();
  const stateless = insertUpstream(t.db, {
    name: "stateless",
    transport: "http",
    url: modern.url,
    command: null,
  });
  insertPolicyVersion(t.db, stateless.id, ONCE);
  const everything = insertUpstream(t.db, {
    name: "everything",
    command: process.execPath,
    args: [serverEntry("everything"), "stdio"],
  });
  insertPolicyVersion(t.db, everything.id, `version: "1"\ndefault: allow\n`);
  key = insertAgentWithKey(t.db, { name: "asker" }).key;
  gw = await startGateway(gatewayTestOptions(t.db));
});

afterAll(async () => {
  await gw?.close();
  await modern?.stop();
  t?.cleanup();
});

type Answer = {
  result?: {
    resultType?: string;
    requestState?: string;
    inputRequests?: Record<string, unknown>;
    isError?: boolean;
    content?: { text: string }[];
  };
  error?: { message: string };
};

async function call(
  server: string,
  tool: string,
  id: number,
  params: Record<string, unknown>,
  capabilities: Record<string, unknown>,
): Promise<Answer> {
  const res = await fetch(`${gw.url}/mcp/${server}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${key}`,
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": tool,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: {
        name: tool,
        ...params,
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities": capabilities,
        },
      },
    }),
  });
  const text = await res.text();
  const data = text
    .split("\n")
    .filter((l) => l.startsWith("data: "))
    .at(-1);
  return JSON.parse(data ? data.slice(6) : text) as Answer;
}

const text = (a: Answer) => a.result?.content?.[0]?.text ?? a.error?.message ?? "";

describe("a retry that brings a stateless call its input", () => {
  it("continues the call once; sent again it is a new call, refused by the limit", async () => {
    const caps = { elicitation: {} };
    const args = { arguments: { question: "name?" } };
    const first = await call("stateless", "ask", 1, args, caps);
    expect(first.result?.resultType).toBe("input_required");
    const retry = (id: number, name: string) =>
      call(
        "stateless",
        "ask",
        id,
        {
          ...args,
          requestState: first.result?.requestState,
          inputResponses: { name: { action: "accept", content: { name } } },
        },
        caps,
      );
    expect(text(await retry(2, "ann"))).toBe("You said: ann");
    const replayed = await retry(3, "bob");
    expect(replayed.result?.isError).toBe(true);
    expect(text(replayed)).toMatch(/rate limit|one question an hour/i);
    const rounds = modern.recorded().filter((r) => (r as { tool?: string }).tool === "ask");
    expect(rounds).toHaveLength(2);
  });

  it("of a parked call on a session-based upstream never starts that call over", async () => {
    const caps = { sampling: {} };
    const args = { arguments: { prompt: "p", maxTokens: 5 } };
    const first = await call("everything", "trigger-sampling-request", 1, args, caps);
    expect(first.result?.resultType).toBe("input_required");
    const [inputKey] = Object.keys(first.result?.inputRequests ?? {});
    const retry = (id: number) =>
      call(
        "everything",
        "trigger-sampling-request",
        id,
        {
          ...args,
          requestState: first.result?.requestState,
          inputResponses: {
            [inputKey ?? ""]: {
              model: "m",
              role: "assistant",
              content: { type: "text", text: "hi" },
            },
          },
        },
        caps,
      );
    const taken = await retry(2);
    expect(taken.result?.isError).toBeFalsy();
    const again = await retry(3);
    expect(text(again)).toContain("the call this retry continues has ended; call the tool again");
  });
});
