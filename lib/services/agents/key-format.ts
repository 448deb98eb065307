import { createHash, randomBytes } from "node:crypto";

export const AGENT_KEY_PREFIX = "pcs_";

/** 32 random bytes, base64url: high entropy, so SHA-256 is a sufficient one-way store. */
export function generateAgentKey(): { key: string; prefix: string; hash: string } {
  const key = `${AGENT_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  return { key, prefix: key.slice(0, AGENT_KEY_PREFIX.length + 6), hash: hashAgentKey(key) };
}

export function hashAgentKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}
