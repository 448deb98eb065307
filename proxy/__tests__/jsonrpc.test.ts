import { describe, expect, it } from "vitest";

import { checkParsed, parseFrame, peekId } from "../jsonrpc";

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

describe("non-finite numbers", () => {
  const limits = { maxBytes: 65_536, maxDepth: 32 };

  it("refuses a message with a number that parses to Infinity, naming its path and the id", () => {
    const text =
      '{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":"pay","arguments":{"a":1e309}}}';
    expect(parseFrame(text, limits)).toEqual({
      ok: false,
      cause: "malformed",
      reason: "number out of range at $.params.arguments.a (JSON numbers must be finite)",
      id: 12,
    });
    expect(checkParsed(JSON.parse(text))).toEqual(parseFrame(text, limits));
  });

  it("finds it anywhere in the message, and answers with a null id when the id is unreadable", () => {
    const nested = parseFrame(
      '{"jsonrpc":"2.0","id":"r","method":"tools/call","params":{"name":"t","arguments":{"x":[1,{"__proto__":-1e999}]}}}',
      limits,
    );
    expect(nested).toMatchObject({
      ok: false,
      reason:
        "number out of range at $.params.arguments.x[1].__proto__ (JSON numbers must be finite)",
      id: "r",
    });
    expect(parseFrame('{"jsonrpc":"2.0","id":1e999,"method":"ping"}', limits)).toMatchObject({
      ok: false,
      reason: "number out of range at $.id (JSON numbers must be finite)",
      id: null,
    });
  });

  it("lets the largest finite numbers through", () => {
    const frame = parseFrame(
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"a":1.7976931348623157e308,"b":-5e-324,"c":1e-400}}}',
      limits,
    );
    expect(frame.ok).toBe(true);
  });
});
