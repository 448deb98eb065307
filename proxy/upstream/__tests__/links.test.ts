import http from "node:http";
import type { AddressInfo } from "node:net";

import { describe, expect, it, vi } from "vitest";

import type { Message } from "../../jsonrpc";
import { HttpLink, StdioChildLink } from "../links";
import { ModernHttpLink } from "../modern-link";

// What the log and the audit rows call an upstream: never a token it was started with.
describe("an upstream's description", () => {
  it("names a stdio command and its first argument, and only counts the rest", () => {
    const link = new StdioChildLink({
      command: "node",
      args: ["server.js", "--token", "ghp_secret123"],
    });
    expect(link.description).toBe("node server.js (+2 arguments)");
    expect(new StdioChildLink({ command: "srv", args: [] }).description).toBe("srv");
  });

  it("leaves a URL's user, password, query and fragment out", () => {
    const link = new HttpLink("https://bot:hunter2@mcp.example.com/mcp?key=sk_live_1#x", {});
    expect(link.description).toBe("https://mcp.example.com/mcp");
  });
});

describe("a stateless upstream that ends a request's event stream without its answer", () => {
  it("answers the request with an error instead of leaving it waiting", async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(
        `data: ${JSON.stringify({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "1", progress: 1 } })}\n\n`,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const link = new ModernHttpLink(`http://127.0.0.1:${port}/mcp?token=secret`, {});
      expect(link.description).toBe(`http://127.0.0.1:${port}/mcp`);
      const received: Message[] = [];
      link.onmessage = (m) => received.push(m);
      await link.send({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "x" } });
      await vi.waitFor(() => expect(received).toHaveLength(2), { timeout: 5_000, interval: 20 });
      expect(received[1]).toMatchObject({
        id: 7,
        error: { message: expect.stringContaining("ended its event stream without an answer") },
      });
      await link.close();
    } finally {
      server.close();
    }
  });
});
