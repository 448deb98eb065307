import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { tempDatabase } from "@/lib/testing/proxy";
import { cliInProcess } from "./helpers";

let t: ReturnType<typeof tempDatabase>;
beforeEach(() => {
  t = tempDatabase();
});
afterEach(() => t.cleanup());

describe("audit verify on an empty log", () => {
  it("says there is nothing to verify instead of calling the chain intact", async () => {
    const first = await cliInProcess(["audit", "verify"], { PORTCULLIS_DB: t.file });
    expect(first).toMatchObject({ code: 0, stdout: "nothing to verify: the audit log is empty\n" });
    expect(first.stdout).not.toMatch(/intact/);

    // The verification is itself recorded, so the next run has a one-row chain to vouch for.
    const second = await cliInProcess(["audit", "verify"], { PORTCULLIS_DB: t.file });
    expect(second).toMatchObject({ code: 0, stdout: "chain intact: 1 rows\n" });
  });
});
