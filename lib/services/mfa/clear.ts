import { eq } from "drizzle-orm";

import type { Tx } from "@/db/client";
import { recoveryCodes, users } from "@/db/schema";

/** Removes a user's TOTP secret and recovery codes. */
export function clearTotp(tx: Tx, userId: string, now: Date): void {
  tx.update(users)
    .set({ totpSecret: null, totpEnabledAt: null, totpLastStep: null, updatedAt: now })
    .where(eq(users.id, userId))
    .run();
  tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)).run();
}
