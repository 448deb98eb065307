import { hash, verify } from "@node-rs/argon2";

// @node-rs/argon2 defaults: argon2id, m=19456 KiB, t=2, p=1 (the OWASP baseline).
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;

/** Spends the same time as a real check, so a missing account is not told apart by timing. */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hash("portcullis-timing-equaliser");
  await verifyPassword(await dummy, password);
}
