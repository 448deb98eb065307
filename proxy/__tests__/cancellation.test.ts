import { describe, expect, it } from "vitest";

import { Cancellation } from "../cancellation";

describe("Cancellation", () => {
  it("makes no signal until asked, and one asked for after a cancel is already aborted", () => {
    const early = new Cancellation();
    early.abort();
    expect(early.aborted).toBe(true);
    expect(early.signal.aborted).toBe(true);

    const late = new Cancellation();
    const signal = late.signal;
    expect(signal.aborted).toBe(false);
    late.abort();
    expect(signal.aborted).toBe(true);
    expect(late.signal).toBe(signal);
  });
});
