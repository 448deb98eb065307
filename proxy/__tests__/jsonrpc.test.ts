import { describe, expect, it } from "vitest";

import { peekId } from "../jsonrpc";

describe("peekId", () => {
  it("reads the id of a message too large or too deep to parse from its start", () => {
    expect(
      peekId(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"a":"${"x".repeat(9_000)}`),
    ).toBe(7);
    expect(peekId(`{ "id" : "req-1", "params": [[[[`)).toBe("req-1");
    expect(peekId(`{"jsonrpc":"2.0","method":"m","id":-3}`)).toBe(-3);
  });

  it("never guesses: an id after a nested member, inside params, or malformed is not read", () => {
    expect(peekId(`{"jsonrpc":"2.0","params":{"id":5},"id":9}`)).toBeNull();
    expect(peekId(`{"params":{"id":5}}`)).toBeNull();
    expect(peekId(`{"id":{"nested":1}}`)).toBeNull();
    expect(peekId(`{"id":1.5e400}`)).toBeNull();
    expect(peekId(`[{"id":1}]`)).toBeNull();
    expect(peekId(`{"id":"${"a".repeat(300)}"}`)).toBeNull();
  });
});
