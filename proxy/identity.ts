import type { Db } from "@/db/client";
import { AppError } from "@/lib/core/errors";
import type { CallIdentity } from "@/lib/services/enforcement";
import { authenticateAgentKey } from "@/lib/services/gateway";
import type { PolicySource } from "./policy-source";
import { CliError, osUser } from "./runtime";

/** Resolves who a stdio proxy acts for: a presented agent key, or (where allowed) the local OS user. */
export function resolveStdioIdentity(
  db: Db,
  key: string | undefined,
  mode: { kind: "server"; server: string; policy: PolicySource } | { kind: "file" },
): CallIdentity {
  if (key) {
    try {
      const { agent, key: row } = authenticateAgentKey(db, key, new Date());
      return { agentId: agent.id, keyId: row.id, label: agent.name };
    } catch (err) {
      if (err instanceof AppError && err.code === "UNAUTHENTICATED") {
        throw new CliError(
          `the agent key was refused (${String(err.details?.reason ?? "invalid")})`,
          2,
        );
      }
      throw err;
    }
  }
  const local: CallIdentity = {
    agentId: `local:${osUser()}`,
    keyId: null,
    label: `local:${osUser()}`,
    anonymous: true,
  };
  if (mode.kind === "file") return local;
  const view = mode.policy.current();
  if (view.snapshot.posture === "allow") return local;
  throw new CliError(
    `server "${mode.server}" has a default-deny policy, so it needs an agent identity: pass --agent-key or set PORTCULLIS_AGENT_KEY`,
    2,
  );
}
