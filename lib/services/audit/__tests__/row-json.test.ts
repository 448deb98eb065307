import { createHash } from "node:crypto";

import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { canonicalJson } from "@/lib/core/canonical-json";
import { type ChainedRow, HASHED_COLUMNS, rowHash, rowJson } from "../chain";

const column = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.integer(),
  fc.double(),
  fc.constant(null),
  fc.constant(undefined),
);
const row = fc.record(
  Object.fromEntries(HASHED_COLUMNS.map((c) => [c, column])) as Record<
    (typeof HASHED_COLUMNS)[number],
    typeof column
  >,
  { requiredKeys: [] },
) as unknown as fc.Arbitrary<ChainedRow>;

describe("chained row text", () => {
  it("is the row's canonical JSON, whatever its values", () => {
    fc.assert(
      fc.property(row, (r) => {
        expect(rowJson(r)).toBe(canonicalJson(r));
      }),
      { numRuns: 2000 },
    );
  });

  it("hashes as SHA-256 over the previous hash, the seq and that text", () => {
    fc.assert(
      fc.property(row, fc.string(), fc.nat(), (r, prev, seq) => {
        const expected = createHash("sha256")
          .update(`${prev}\n${seq}\n${canonicalJson(r)}`)
          .digest("hex");
        expect(rowHash(prev, seq, r)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});
