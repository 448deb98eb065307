import { describe, expect, it } from "vitest";

import { HttpLink, StdioChildLink } from "../links";

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
