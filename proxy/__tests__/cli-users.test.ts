import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { auditEvents } from "@/db/schema";
import { signIn } from "@/lib/services/sessions";
import { createUser } from "@/lib/services/users";
import { testContext } from "@/lib/testing";
import { tempDatabase } from "@/lib/testing/proxy";
import { cliInProcess } from "./helpers";

const PASSWORD = "a long enough password";

describe("portcullis users reset-password", () => {
  it("prints a generated password once; the user signs in with it", async () => {
    const t = tempDatabase();
    try {
      await createUser(testContext(t.db, { type: "system", job: "test" }), {
        email: "lost@example.com",
        name: "Lost",
        password: PASSWORD,
        role: "admin",
      });
      const out = await cliInProcess(["users", "reset-password", "lost@example.com"], {
        PORTCULLIS_DB: t.file,
      });
      expect(out.code).toBe(0);
      const generated = /shown once, share it privately\): (\S+)/.exec(out.stdout)?.[1];
      expect(generated?.length).toBeGreaterThanOrEqual(20);
      const ctx = { ...testContext(t.db, { type: "anonymous" }), remoteIp: "192.0.2.3" };
      await expect(
        signIn(ctx, { email: "lost@example.com", password: PASSWORD }),
      ).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
      await expect(
        signIn(ctx, { email: "lost@example.com", password: generated ?? "" }),
      ).resolves.toMatchObject({ status: "signed_in" });
      const row = t.db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.action, "user.password_reset"))
        .get();
      expect(row).toMatchObject({ source: "cli", actorType: "system" });
      expect(row?.detail).not.toContain(generated);

      const missing = await cliInProcess(["users", "reset-password", "nobody@example.com"], {
        PORTCULLIS_DB: t.file,
      });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain("nobody@example.com");
    } finally {
      t.cleanup();
    }
  });
});
