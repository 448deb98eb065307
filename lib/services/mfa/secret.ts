import { eq, isNotNull } from "drizzle-orm";

import { type Db, sqliteHandle, type Tx } from "@/db/client";
import { users } from "@/db/schema";
import { isSealed, open, seal } from "../secrets/cipher";
import { type Keyring, keyringFor, keyringToOpen } from "../secrets/keyring";

// Bound into the sealed value, so a secret copied to another user's row does not open.
const context = (userId: string) => `user ${userId} totp`;

/**
 * TOTP secrets are sealed like upstream secrets: AES-256-GCM under the secrets key (the 0600
 * key file beside the database, or PORTCULLIS_SECRETS_KEY), read again so a rotation by another
 * process is honoured.
 */
export function sealTotpSecret(db: Db | Tx, userId: string, secret: string): string {
  const keyring = keyringFor(sqliteHandle(db), { create: true, reload: true });
  if (!keyring) throw new Error("no secrets key could be loaded or created");
  return seal(keyring.current, secret, context(userId));
}

export function openTotpSecret(db: Db | Tx, userId: string, stored: string): string {
  if (!isSealed(stored)) return stored;
  return open(keyringToOpen(sqliteHandle(db), [stored]), stored, context(userId));
}

/** Re-seals every stored TOTP secret under `keyring.current` (key rotation). Returns the count. */
export function resealTotpSecrets(tx: Tx, keyring: Keyring): number {
  const rows = tx
    .select({ id: users.id, secret: users.totpSecret })
    .from(users)
    .where(isNotNull(users.totpSecret))
    .all();
  for (const row of rows) {
    const plain = isSealed(row.secret ?? "")
      ? open(keyring, row.secret ?? "", context(row.id))
      : (row.secret ?? "");
    tx.update(users)
      .set({ totpSecret: seal(keyring.current, plain, context(row.id)) })
      .where(eq(users.id, row.id))
      .run();
  }
  return rows.length;
}
