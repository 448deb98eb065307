import { randomInt } from "node:crypto";

import { and, eq, isNull } from "drizzle-orm";

import type { Tx } from "@/db/client";
import { recoveryCodes } from "@/db/schema";
import { newId } from "@/lib/core/ids";
import { hashPassword, verifyPassword } from "../users/password";

export const RECOVERY_CODE_COUNT = 10;
// No 0/1/i/l/o look-alikes: codes are read off paper.
const ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz";

/** `xxxxx-xxxxx`: 10 symbols of 31, about 50 bits, each checked against an argon2id hash. */
function newRecoveryCode(): string {
  let s = "";
  for (let i = 0; i < 10; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return `${s.slice(0, 5)}-${s.slice(5)}`;
}

export function normaliseRecoveryCode(code: string): string {
  const bare = code.toLowerCase().replace(/[\s-]+/g, "");
  return `${bare.slice(0, 5)}-${bare.slice(5)}`;
}

export type PreparedCodes = { codes: string[]; hashes: string[] };

/** Fresh codes and their hashes; hashing is slow, so it happens before the transaction. */
export async function prepareRecoveryCodes(): Promise<PreparedCodes> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  return { codes, hashes: await Promise.all(codes.map((c) => hashPassword(c))) };
}

/** Replaces every recovery code of `userId` with the prepared ones. */
export function storeRecoveryCodes(tx: Tx, userId: string, hashes: string[], now: Date): void {
  tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)).run();
  for (const codeHash of hashes) {
    tx.insert(recoveryCodes)
      .values({ id: newId("recoveryCode"), userId, codeHash, createdAt: now })
      .run();
  }
}

export type UnusedCode = { id: string; codeHash: string };

export function unusedRecoveryCodes(
  db: Tx | { select: Tx["select"] },
  userId: string,
): UnusedCode[] {
  return db
    .select({ id: recoveryCodes.id, codeHash: recoveryCodes.codeHash })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)))
    .all();
}

/** The id of the unused code `code` matches, or null. Checks every code, match or not. */
export async function matchRecoveryCode(
  unused: UnusedCode[],
  code: string,
): Promise<string | null> {
  const normal = normaliseRecoveryCode(code);
  if (!/^[a-z2-9]{5}-[a-z2-9]{5}$/.test(normal)) return null;
  const results = await Promise.all(unused.map((c) => verifyPassword(c.codeHash, normal)));
  return unused[results.indexOf(true)]?.id ?? null;
}

/** Marks a matched code used; false when a parallel request used it first. */
export function spendRecoveryCode(tx: Tx, id: string, now: Date): boolean {
  const row = tx
    .update(recoveryCodes)
    .set({ usedAt: now })
    .where(and(eq(recoveryCodes.id, id), isNull(recoveryCodes.usedAt)))
    .returning({ id: recoveryCodes.id })
    .get();
  return row !== undefined;
}
