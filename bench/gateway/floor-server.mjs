// The floor contender: the echo server in-process behind the SDK's own Streamable HTTP server
// transport, one stateful session (and one McpServer) per client, no proxy in between.
// `node floor-server.mjs` listens on 127.0.0.1 on a free port and prints "listening on <url>".
import { randomUUID } from "node:crypto";
import http from "node:http";

import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

import { createEchoServer } from "./echo-server.mjs";

const sessions = new Map();

const server = http.createServer(async (req, res) => {
  try {
    if (!req.url?.startsWith("/mcp")) {
      res.writeHead(404).end();
      return;
    }
    const id = req.headers["mcp-session-id"];
    let transport = typeof id === "string" ? sessions.get(id) : undefined;
    if (typeof id === "string" && !transport) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          jsonrpc: "2.0",
          id: null,
          error: { code: -32001, message: "Session not found" },
        }),
      );
      return;
    }
    if (!transport) {
      // No session yet: the transport answers an initialize and refuses anything else.
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (sid) => sessions.set(sid, transport),
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await createEchoServer().connect(transport);
    }
    await transport.handleRequest(req, res);
  } catch (err) {
    if (!res.headersSent) res.writeHead(500).end(String(err));
  }
});

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  process.stderr.write(`listening on http://127.0.0.1:${port}/mcp\n`);
});

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.once(sig, () => {
    for (const t of sessions.values()) void t.close();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
