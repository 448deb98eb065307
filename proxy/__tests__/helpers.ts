import { eq } from "drizzle-orm";

import type { Db } from "@/db/client";
import { agentKeys, type Upstream } from "@/db/schema";
import { bumpConfigVersion } from "@/lib/services/config-version";
import { insertPolicyVersion, insertUpstream } from "@/lib/testing/factories";
import { serverEntry } from "@/lib/testing/proxy";
import type { GatewayOptions } from "../serve";

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

/** Runs the CLI in this process (no spawn), capturing what it writes. Sequential use only. */
export async function cliInProcess(
  argv: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import("../program");
  const saved = { out: process.stdout.write, err: process.stderr.write, env: { ...process.env } };
  let stdout = "";
  let stderr = "";
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stdout += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    const cb = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stderr += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    const cb = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof process.stderr.write;
  for (const k of Object.keys(process.env)) if (k.startsWith("PORTCULLIS_")) delete process.env[k];
  Object.assign(process.env, env);
  try {
    const code = await main(["node", "portcullis", ...argv]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    for (const k of Object.keys(process.env)) if (!(k in saved.env)) delete process.env[k];
    Object.assign(process.env, saved.env);
  }
}

/** Gateway settings for in-process tests: loopback, ephemeral port, no approval wait. */
export function gatewayTestOptions(db: Db, over: Partial<GatewayOptions> = {}): GatewayOptions {
  return {
    db,
    host: "127.0.0.1",
    port: 0,
    allowedOrigins: [],
    upstreamTimeoutMs: 5_000,
    approvalWaitMs: 0,
    maxBodyBytes: 1_048_576,
    maxJsonDepth: 64,
    maxSessions: 16,
    sessionIdleMs: 60_000,
    ...over,
  };
}

/** server-everything behind a policy that hides get-env and refuses echo messages with "secret". */
export const EVERYTHING_POLICY = `version: "1"
default: allow
hide: [get-env]
tools:
  echo:
    rules:
      - name: no secrets
        action: evaluate
        conditions: [{ path: args.message, op: not_contains, value: "secret" }]
`;

/** A 2025 `initialize` request as raw JSON, for tests that speak HTTP without the SDK. */
export const INIT_REQUEST = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "raw", version: "1" },
  },
};
export const INIT = JSON.stringify(INIT_REQUEST);

/** A raw Streamable HTTP POST with the headers a conforming client sends (overridable). */
export const rawPost = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body,
  });

/** server-everything as the stdio upstream "everything", under `policy` (default: allow all). */
export function insertEverything(db: Db, policy = `version: "1"\ndefault: allow\n`): Upstream {
  const up = insertUpstream(db, {
    name: "everything",
    command: process.execPath,
    args: [serverEntry("everything"), "stdio"],
  });
  insertPolicyVersion(db, up.id, policy);
  return up;
}
