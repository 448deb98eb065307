import { eq } from "drizzle-orm";

import type { Db } from "@/db/client";
import { agentKeys } from "@/db/schema";
import { bumpConfigVersion } from "@/lib/services/config-version";

/** Revokes a key the way the console's revoke does, without its audit row. */
export function revokeKeyDirect(db: Db, keyId: string): void {
  db.transaction(
    (tx) => {
      tx.update(agentKeys).set({ revokedAt: new Date() }).where(eq(agentKeys.id, keyId)).run();
      bumpConfigVersion(tx, new Date());
    },
    { behavior: "immediate" },
  );
}
