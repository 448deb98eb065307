import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { insertAgentWithKey, insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import { connectHttp, must, tempDatabase } from "@/lib/testing/proxy";
import { type Gateway, startGateway } from "../serve";
import { HttpLink } from "../upstream/links";
import type { Message } from "../jsonrpc";
import { SessionEventStore } from "../transports/event-store";
import { RETRY_MS } from "../transports/http-session";
import { type ResumableServer, startResumableServer } from "./fixtures/resumable-server";
import { gatewayTestOptions } from "./helpers";

const VERSION = "2025-11-25";

let t: ReturnType<typeof tempDatabase>;
let upstream: ResumableServer;
let gw: Gateway;
let key: string;
let url: string;

/** Serves the fixture at `server.url` as `name` (allow-all policy); returns its gateway endpoint. */
function serve(name: string, server: ResumableServer): string {
  const row = insertUpstream(t.db, {
    name,
    transport: "http",
    url: server.url,
    isolation: "session",
  });
  insertPolicyVersion(t.db, row.id, `version: "1"\ndefault: allow\n`);
  return `${gw.url}/mcp/${name}`;
}

beforeAll(async () => {
  t = tempDatabase();
  upstream = await startResumableServer({ retryMs: 200 });
  key = insertAgentWithKey(t.db, { name: "resume-agent" }).key;
  gw = await startGateway(gatewayTestOptions(t.db));
  url = serve("resumable", upstream);
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  t?.cleanup();
});

type SseEvent = { id?: string; retry?: number; data: string };

/** Reads SSE events off a response body as they come. */
function events(res: Response): AsyncGenerator<SseEvent> {
  const reader = must(res.body, "body").pipeThrough(new TextDecoderStream()).getReader();
  return (async function* () {
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event: SseEvent = { data: "" };
        const data: string[] = [];
        for (const line of block.split("\n")) {
          const colon = line.indexOf(":");
          const name = line.slice(0, colon);
          const val = line.slice(colon + 1).replace(/^ /, "");
          if (name === "id") event.id = val;
          else if (name === "retry") event.retry = Number(val);
          else if (name === "data") data.push(val);
        }
        event.data = data.join("\n");
        yield event;
      }
    }
  })();
}

async function collect(res: Response): Promise<SseEvent[]> {
  const all: SseEvent[] = [];
  for await (const e of events(res)) all.push(e);
  return all;
}

const json = (e: SseEvent) => JSON.parse(e.data) as Record<string, unknown>;

/** A raw 2025-11-25 session: initialize, initialized, then requests with its id and version. */
async function rawSession(version = VERSION, at = url) {
  const headers = (extra: Record<string, string> = {}) => ({
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    authorization: `Bearer ${key}`,
    ...extra,
  });
  const init = await fetch(at, {
    method: "POST",
    headers: headers(),
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: version,
        capabilities: {},
        clientInfo: { name: "raw", version: "1" },
      },
    }),
  });
  expect(init.status).toBe(200);
  await init.text();
  const session = must(init.headers.get("mcp-session-id"), "session id");
  const inSession = () => headers({ "mcp-session-id": session, "mcp-protocol-version": version });
  const notified = await fetch(at, {
    method: "POST",
    headers: inSession(),
    body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
  });
  expect(notified.status).toBe(202);
  return {
    session,
    call: (id: number, name: string, args: Record<string, unknown>, signal?: AbortSignal) =>
      fetch(at, {
        method: "POST",
        headers: inSession(),
        body: JSON.stringify({
          jsonrpc: "2.0",
          id,
          method: "tools/call",
          params: { name, arguments: args, _meta: { progressToken: `p${id}` } },
        }),
        ...(signal ? { signal } : {}),
      }),
    resume: (lastEventId: string) =>
      fetch(at, {
        method: "GET",
        headers: {
          accept: "text/event-stream",
          authorization: `Bearer ${key}`,
          "mcp-session-id": session,
          "mcp-protocol-version": version,
          "last-event-id": lastEventId,
        },
      }),
  };
}

describe("resumable POST streams (2025-11-25 sessions)", () => {
  it("open with a priming event and a retry; every event has an id that names its stream", async () => {
    const s = await rawSession();
    const first = await collect(await s.call(1, "steps", { steps: 2, ms: 20 }));
    const [priming, ...rest] = first;
    expect(priming).toEqual({ id: expect.stringMatching(/_1$/), retry: RETRY_MS, data: "" });
    const stream = must(priming?.id, "priming id").replace(/_1$/, "");
    expect(rest.map((e) => e.id)).toEqual([`${stream}_2`, `${stream}_3`, `${stream}_4`]);
    expect(rest.map((e) => json(e).method ?? "answer")).toEqual([
      "notifications/progress",
      "notifications/progress",
      "answer",
    ]);
    expect(json(must(rest[2], "answer"))).toMatchObject({
      id: 1,
      result: { content: [{ text: "done after 2 steps" }] },
    });

    const second = await collect(await s.call(2, "steps", { steps: 1, ms: 10 }));
    const other = must(second[0]?.id, "second priming").replace(/_1$/, "");
    expect(other).not.toBe(stream);
    const ids = [...first, ...second].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("keeps plain JSON for an answer that comes alone from an upstream that sends JSON", async () => {
    const plain = await startResumableServer({ json: true });
    try {
      const s = await rawSession(VERSION, serve("plain", plain));
      const res = await s.call(1, "steps", { steps: 0, ms: 0 });
      expect(res.headers.get("content-type")).toContain("application/json");
      expect(await res.json()).toMatchObject({
        id: 1,
        result: { content: [{ text: "done after 0 steps" }] },
      });
    } finally {
      await plain.close();
    }
  });

  it("gives an older client ids but no priming event", async () => {
    const s = await rawSession("2025-06-18");
    const all = await collect(await s.call(1, "steps", { steps: 1, ms: 10 }));
    expect(all.map((e) => (e.data === "" ? "priming" : (json(e).method ?? "answer")))).toEqual([
      "notifications/progress",
      "answer",
    ]);
    expect(all.every((e) => /_\d+$/.test(e.id ?? ""))).toBe(true);
    expect(all.some((e) => e.retry !== undefined)).toBe(false);
  });

  it("delivers what a dropped stream missed, answer included, on GET with Last-Event-ID", async () => {
    const s = await rawSession();
    const abort = new AbortController();
    const res = await s.call(7, "steps", { steps: 3, ms: 80 }, abort.signal);
    let lastId = "";
    for await (const e of events(res)) {
      lastId = must(e.id, "event id");
      if (e.data && json(e).method === "notifications/progress") break;
    }
    abort.abort();
    // The call goes on without a connection: its last progress and its answer are stored.
    await new Promise((r) => setTimeout(r, 400));

    const resumed = await s.resume(lastId);
    expect(resumed.status).toBe(200);
    expect(resumed.headers.get("content-type")).toContain("text/event-stream");
    const rest = await collect(resumed);
    const stream = lastId.slice(0, lastId.lastIndexOf("_"));
    const seq = Number(lastId.slice(lastId.lastIndexOf("_") + 1));
    expect(rest.map((e) => e.id)).toEqual([
      `${stream}_${seq + 1}`,
      `${stream}_${seq + 2}`,
      `${stream}_${seq + 3}`,
    ]);
    expect(rest.map((e) => json(e).params ?? json(e).result)).toEqual([
      expect.objectContaining({ progress: 2 }),
      expect.objectContaining({ progress: 3 }),
      { content: [{ type: "text", text: "done after 3 steps" }] },
    ]);

    // The ended stream can be replayed again from any of its ids.
    const again = await collect(await s.resume(`${stream}_${seq + 2}`));
    expect(again.map((e) => e.id)).toEqual([`${stream}_${seq + 3}`]);
  });

  it("hands a stream still in progress to the resuming GET, which gets the rest as it comes", async () => {
    const s = await rawSession();
    const abort = new AbortController();
    const res = await s.call(8, "steps", { steps: 4, ms: 60 }, abort.signal);
    const it = events(res);
    const priming = must((await it.next()).value as SseEvent | undefined, "priming");
    abort.abort();

    const resumed = await s.resume(must(priming.id, "priming id"));
    expect(resumed.status).toBe(200);
    const rest = await collect(resumed);
    expect(rest.map((e) => json(e).method ?? json(e).id)).toEqual([
      "notifications/progress",
      "notifications/progress",
      "notifications/progress",
      "notifications/progress",
      8,
    ]);
  });

  it("refuses a Last-Event-ID that names no stream of the session with 400", async () => {
    const s = await rawSession();
    const other = await rawSession();
    const [priming] = await collect(await other.call(1, "steps", { steps: 1, ms: 5 }));
    const foreign = must(priming?.id, "other session's id");
    for (const id of ["nonsense", "99_1", "1_999999", foreign.replace(/_1$/, "_x")]) {
      const res = await s.resume(id);
      expect(res.status, id).toBe(400);
      expect(await res.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32600 } });
    }
    // Another session's event id means nothing here, and the other session's events stay there.
    expect((await s.resume(`${foreign.slice(0, foreign.lastIndexOf("_"))}_5`)).status).toBe(400);
    const replay = await collect(await other.resume(foreign));
    expect(replay.map((e) => json(e).method ?? "answer")).toEqual([
      "notifications/progress",
      "answer",
    ]);
  });

  it("still allows one standalone GET stream per session", async () => {
    const s = await rawSession();
    const headers = {
      accept: "text/event-stream",
      authorization: `Bearer ${key}`,
      "mcp-session-id": s.session,
      "mcp-protocol-version": VERSION,
    };
    const abort = new AbortController();
    const first = await fetch(url, { headers, signal: abort.signal });
    expect(first.status).toBe(200);
    expect((await fetch(url, { headers })).status).toBe(409);
    abort.abort();
    await new Promise((r) => setTimeout(r, 50));
    const again = await fetch(url, { headers });
    expect(again.status).toBe(200);
    await again.body?.cancel();
  });
});

describe("an upstream that closes its stream before answering", () => {
  it("still answers an SDK client through the gateway: the link resumes with Last-Event-ID", async () => {
    const before = upstream.resumes.length;
    const { client } = await connectHttp(url, key);
    try {
      const result = await client.callTool({ name: "pause", arguments: { ms: 50 } });
      expect(result.content).toEqual([{ type: "text", text: "answered after a pause of 50 ms" }]);
      expect(upstream.resumes.length).toBeGreaterThan(before);
    } finally {
      await client.close();
    }
  });

  it("streams like the upstream, passes its pause on, and the client's resume upstream", async () => {
    const slow = await startResumableServer({ retryMs: 30_000 });
    try {
      const s = await rawSession(VERSION, serve("polling", slow));
      // The upstream streams its answers (the SDK's default), so the gateway does too.
      const plain = await collect(await s.call(2, "steps", { steps: 0, ms: 0 }));
      expect(plain.map((e) => (e.data === "" ? "priming" : json(e).id))).toEqual(["priming", 2]);

      const started = Date.now();
      const paused = await collect(await s.call(3, "pause", { ms: 20 }));
      expect(paused).toEqual([
        { id: expect.stringMatching(/_1$/), retry: RETRY_MS, data: "" },
        { retry: 30_000, data: "" },
      ]);
      const rest = await collect(await s.resume(must(paused[0]?.id, "priming id")));
      expect(rest.map((e) => json(e))).toEqual([
        {
          jsonrpc: "2.0",
          id: 3,
          result: { content: [{ type: "text", text: "answered after a pause of 20 ms" }] },
        },
      ]);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(slow.resumes).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });

  it("tells when an answer streams and when it pauses, and resumes at once when asked", async () => {
    const slow = await startResumableServer({ retryMs: 30_000 });
    const link = new HttpLink(slow.url, {});
    const answers: Message[] = [];
    const streams: [unknown, number | undefined][] = [];
    link.onmessage = (m) => answers.push(m);
    link.onstream = (id, paused) => {
      streams.push([id, paused?.retryMs]);
      if (paused) link.resume(id);
    };
    try {
      await link.start();
      await link.send({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: VERSION,
          capabilities: {},
          clientInfo: { name: "t", version: "1" },
        },
      });
      link.setProtocolVersion(VERSION);
      await link.send({ jsonrpc: "2.0", method: "notifications/initialized" });
      const started = Date.now();
      await link.send({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "pause", arguments: { ms: 20 } },
      });
      await expect
        .poll(() => answers.find((m) => "id" in m && m.id === 2), { timeout: 5_000 })
        .toMatchObject({
          result: { content: [{ text: "answered after a pause of 20 ms" }] },
        });
      expect(streams.filter(([id]) => id === 2)).toEqual([
        [2, undefined],
        [2, 30_000],
      ]);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(slow.resumes).toHaveLength(1);
    } finally {
      await link.close();
      await slow.close();
    }
  });
});

describe("the session event store", () => {
  it("stays within its limits, oldest events first, and forgets ended streams once empty", () => {
    const store = new SessionEventStore({ maxEvents: 3, maxBytes: 1_000 });
    const a = store.open();
    const b = store.open();
    store.append(b, "b1");
    store.append(a, "a1");
    store.append(a, "a2");
    store.end(b);
    expect(store.locate(b.eventId(1))).toEqual({ stream: b, seq: 1 });
    store.append(a, "a3");
    // b's one event went first; b had ended, so it is forgotten.
    expect(store.locate(b.eventId(1))).toBeNull();
    expect(store.size).toEqual({ events: 3, bytes: 6 });
    store.append(a, "x".repeat(999));
    expect(store.size.events).toBe(1);
    expect(a.after(0).map((e) => e.seq)).toEqual([4]);
    // A stream still open keeps its id, though its old events are gone: a resume replays what is held.
    expect(store.locate(a.eventId(1))).toEqual({ stream: a, seq: 1 });
    expect(store.locate(a.eventId(5))).toBeNull();
    expect(store.locate("1_x")).toBeNull();
    store.clear();
    expect(store.locate(a.eventId(4))).toBeNull();
  });
});
