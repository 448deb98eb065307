// The upstream every benchmark contender fronts: an MCP server with one `echo` tool, written with
// the SDK 1.x. Run with `node echo-server.mjs` it serves stdio; `createEchoServer()` returns a
// fresh server for an in-process transport (the floor contender's HTTP sessions).
import { pathToFileURL } from "node:url";

import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

export function createEchoServer() {
  const server = new McpServer({ name: "bench-echo", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "Echoes back the input", inputSchema: { message: z.string() } },
    async ({ message }) => ({ content: [{ type: "text", text: `Echo: ${message}` }] }),
  );
  return server;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await createEchoServer().connect(new StdioServerTransport());
}
