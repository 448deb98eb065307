import { ZodError } from "zod";

import type { Db } from "@/db/client";
import {
  createAgentWithKey,
  findAgentKeys,
  listAgents,
  revokeAgentKey,
  toAgentView,
} from "@/lib/services/agents";
import { CliError, inputError } from "../runtime";
import { cliContext } from "./audit";
import { printList } from "./table";

/**
 * `agents create`: the agent and its first key in one step. The key is printed on stdout once
 * and stored only as a hash; with --json stdout is `{"agent": …, "key": …}`.
 */
export function agentsCreate(
  db: Db,
  name: string,
  opts: { owner?: string; description?: string; json?: boolean },
): number {
  let created;
  try {
    created = createAgentWithKey(cliContext(db), {
      name,
      owner: opts.owner ?? null,
      description: opts.description ?? null,
    });
  } catch (err) {
    if (err instanceof ZodError)
      throw inputError(err, { name: "NAME", owner: "--owner", description: "--description" });
    throw err;
  }
  const agent = toAgentView(created.agent, [created.keyRow]);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ agent, key: created.key }, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(
    `created agent ${agent.name} (${agent.id}) with key ${created.keyRow.id}\n` +
      `key (shown once, store it now): ${created.key}\n`,
  );
  return 0;
}

/** `agents list`: agents and their keys by id and display prefix; never a hash or a secret. */
export function agentsList(db: Db, opts: { json?: boolean }): number {
  const views = listAgents(cliContext(db)).map((a) => toAgentView(a.agent, a.keys));
  return printList(
    views,
    opts,
    "no agents yet (create one with portcullis agents create)",
    ["AGENT", "STATUS", "KEY", "PREFIX", "KEY STATUS", "LAST USED", "OWNER"],
    (a) => {
      const status = a.disabled ? "disabled" : "enabled";
      const owner = a.owner ?? "-";
      if (a.keys.length === 0) return [[a.name, status, "-", "-", "-", "-", owner]];
      return a.keys.map((k) => [
        a.name,
        status,
        k.id,
        `${k.prefix}…`,
        k.revokedAt
          ? "revoked"
          : k.expiresAt && k.expiresAt <= new Date().toISOString()
            ? "expired"
            : "active",
        k.lastUsedAt ?? "never",
        owner,
      ]);
    },
  );
}

/** `agents keys revoke`: by key id, display prefix (when it names one key) or the key itself. */
export function agentsRevokeKey(db: Db, ref: string): number {
  const ctx = cliContext(db);
  const matches = findAgentKeys(ctx, ref.replace(/…$/, ""));
  const [match] = matches;
  if (!match)
    throw new CliError("no agent key has that id or prefix (see portcullis agents list)", 1);
  if (matches.length > 1) {
    throw new CliError(
      `that prefix names ${matches.length} keys (${matches.map((m) => m.key.id).join(", ")}); give the key id`,
      1,
    );
  }
  const label = `key ${match.key.id} (${match.key.prefix}…) of agent ${match.agent.name}`;
  if (match.key.revokedAt) {
    process.stdout.write(`${label} was already revoked\n`);
    return 0;
  }
  revokeAgentKey(ctx, { keyId: match.key.id });
  process.stdout.write(`revoked ${label}; the gateway refuses it from the next request\n`);
  return 0;
}
