import { describe, expect, it } from "vitest";

import { SessionState } from "../upstream/session-state";

describe("SessionState", () => {
  it("tells the upstream about the first subscribe and the last unsubscribe of a URI", () => {
    const s = new SessionState<string>();
    expect(s.subscribe("a", "file:///x", true)).toBe(true);
    expect(s.subscribe("b", "file:///x", true)).toBe(false);
    expect([...s.subscribed("file:///x")]).toEqual(["a", "b"]);
    expect(s.subscribe("a", "file:///x", false)).toBe(false);
    expect(s.drop("b")).toEqual({ unsubscribe: ["file:///x"], level: null });
    expect([...s.uris()]).toEqual([]);
  });

  it("sends the most verbose level asked for, and filters each session to its own", () => {
    const s = new SessionState<string>();
    expect(s.setLevel("a", "error")).toBe("error");
    expect(s.setLevel("b", "debug")).toBe("debug");
    expect(s.setLevel("a", "warning")).toBeNull();
    expect(s.wantsLog("a", "info")).toBe(false);
    expect(s.wantsLog("a", "error")).toBe(true);
    expect(s.wantsLog("b", "debug")).toBe(true);
    expect(s.wantsLog("c", "debug")).toBe(true);
    expect(s.drop("b")).toEqual({ unsubscribe: [], level: "warning" });
  });
});
