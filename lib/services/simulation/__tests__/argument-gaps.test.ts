import { describe, expect, it } from "vitest";

import { loadPolicy } from "@/lib/core/policy";
import { rulesReadingGaps, storedArgumentGaps } from "@/lib/core/policy/argument-gaps";
import { auditArguments } from "../../enforcement";

const stored = (args: unknown, mode: "full" | "redacted" | "hash") => ({
  value: JSON.parse(auditArguments(args, mode)) as unknown,
  mode,
});

describe("arguments the audit log kept", () => {
  it("finds what the audit writer masked or cut, and nothing else", () => {
    const args = {
      to: "ann",
      password: "hunter2",
      note: "x".repeat(300),
      items: Array.from({ length: 60 }, (_, i) => i),
      nested: { apiKey: "k", ok: 1 },
    };
    const r = stored(args, "redacted");
    expect(storedArgumentGaps(r.value, r.mode).gaps).toEqual([
      ["items"],
      ["nested", "apiKey"],
      ["note"],
      ["password"],
    ]);
    const full = stored(args, "full");
    expect(storedArgumentGaps(full.value, full.mode)).toEqual({ args, gaps: [] });
    const hashed = stored(args, "hash");
    expect(storedArgumentGaps(hashed.value, hashed.mode)).toEqual({ args: null, gaps: "all" });
    const big = stored({ blob: "y".repeat(70_000) }, "full");
    expect(storedArgumentGaps(big.value, big.mode).gaps).toBe("all");
  });

  it("names only the rules that read a missing argument", () => {
    const loaded = loadPolicy(`version: "1"
tools:
  send:
    rules:
      - name: to ann
        conditions: [{ path: args.to, op: eq, value: "ann" }]
      - name: secret set
        conditions: [{ path: args.password, op: exists, value: true }]
      - name: cap
        rate_limit: 5/minute
`);
    if (!loaded.ok) throw new Error("policy does not load");
    expect(rulesReadingGaps(loaded.snapshot, "send", [["password"]])).toEqual(["secret set"]);
    expect(rulesReadingGaps(loaded.snapshot, "send", "all")).toEqual(["to ann", "secret set"]);
    expect(rulesReadingGaps(loaded.snapshot, "send", [])).toEqual([]);
  });
});
