import { describe, expect, it } from "vitest";

import { exampleArguments } from "./example-arguments";

describe("example arguments from an inputSchema", () => {
  it("fills required arguments by type, and optional ones that have a default", () => {
    expect(
      exampleArguments({
        type: "object",
        properties: {
          message: { type: "string" },
          count: { type: "integer", minimum: 1 },
          mode: { type: "string", enum: ["fast", "slow"] },
          verbose: { type: "boolean", default: true },
          note: { type: "string" },
        },
        required: ["message", "count", "mode"],
      }),
    ).toEqual({ message: "", count: 1, mode: "fast", verbose: true });
  });
  it("lists every argument when none is required, and copes with no schema", () => {
    expect(exampleArguments({ properties: { a: { type: "number" }, b: {} } })).toEqual({
      a: 0,
      b: "",
    });
    expect(exampleArguments(undefined)).toEqual({});
  });
});
