import { describe, expect, it } from "vitest";

import { redactForViewer, VIEWER_MASK } from "./redact";

describe("redactForViewer", () => {
  it("keeps the shape, every key included, and masks the values", () => {
    const args = JSON.parse(
      '{"__proto__":{"a":1},"constructor":[true,null],"n":{"__proto__":"x"}}',
    );
    const shown = redactForViewer(args);
    expect(JSON.stringify(shown)).toBe(
      `{"__proto__":{"a":"${VIEWER_MASK}"},"constructor":["${VIEWER_MASK}",null],"n":{"__proto__":"${VIEWER_MASK}"}}`,
    );
    expect(Object.getPrototypeOf(shown)).toBe(Object.prototype);
  });
});
