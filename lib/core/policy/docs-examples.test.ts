/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";

import docs from "../../../docs/policy.md?raw";
import { loadPolicy } from "./load";

const blocks = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");

describe("docs/policy.md examples", () => {
  it("has the worked examples", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    for (const server of ["GitHub MCP server", "Stripe agent toolkit", "Amazon ECS MCP server"]) {
      expect(blocks.some((b) => b.includes(server))).toBe(true);
    }
  });

  it.each(blocks.map((b, i) => [i, b] as const))(
    "YAML block %i loads without errors or warnings",
    (_i, yaml) => {
      const result = loadPolicy(yaml);
      expect(result.ok ? [] : result.errors).toEqual([]);
      if (result.ok) expect(result.warnings).toEqual([]);
    },
  );
});
