import { ZodError } from "zod";

import type { Db } from "@/db/client";
import { AppError } from "@/lib/core/errors";
import type { UpstreamView } from "@/lib/core/upstreams/views";
import {
  createUpstream,
  deleteUpstream,
  getUpstreamByName,
  listUpstreams,
  toUpstreamView,
  updateUpstream,
} from "@/lib/services/upstreams";
import { CliError, inputError } from "../runtime";
import { cliContext } from "./audit";
import { printList } from "./table";

export type AddServerOptions = {
  url?: string;
  header: string[];
  env: string[];
  cwd?: string;
  description?: string;
  timeoutMs?: string;
  isolation?: "shared" | "session";
};

const FLAGS: Record<string, string> = {
  name: "NAME",
  command: "COMMAND",
  args: "ARGS",
  url: "--url",
  headers: "--header",
  env: "--env",
  cwd: "--cwd",
  description: "--description",
  timeoutMs: "--timeout-ms",
  isolation: "--isolation",
};

/**
 * `NAME=value` (env) or `Name: value` (headers) into a map. The values are secrets as often as
 * not, so an error names the flag and the entry's name, never its value.
 */
function parsePairs(values: readonly string[], separator: "=" | ":", flag: string) {
  const pairs: Record<string, string> = {};
  for (const v of values) {
    const at = v.indexOf(separator);
    const name = at > 0 ? v.slice(0, at).trim() : "";
    if (!name) {
      const form = separator === "=" ? "NAME=value" : "'Name: value'";
      throw new CliError(`${flag} must look like ${form} (one of them has no name)`, 2);
    }
    if (name in pairs) throw new CliError(`${flag} ${name} is given twice`, 2);
    pairs[name] = separator === "=" ? v.slice(at + 1) : v.slice(at + 1).trim();
  }
  return pairs;
}

function timeoutOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n))
    throw new CliError(`--timeout-ms must be a whole number (got ${text})`, 2);
  return n;
}

function findServer(db: Db, name: string) {
  const upstream = getUpstreamByName(db, name);
  if (!upstream) throw new CliError(`no server named "${name}" (see portcullis servers list)`, 1);
  return upstream;
}

/** `servers add`: registers a stdio command (after `--`) or a Streamable HTTP URL. */
export function serversAdd(
  db: Db,
  name: string,
  command: string[],
  opts: AddServerOptions,
): number {
  const [executable, ...args] = command;
  if (executable && opts.url)
    throw new CliError("give either a command after -- or --url, not both", 2);
  if (!executable && !opts.url)
    throw new CliError("give the server's command after -- (stdio) or its --url (HTTP)", 2);
  if (executable && opts.header.length) throw new CliError("--header is for --url servers", 2);
  if (opts.url && (opts.env.length || opts.cwd)) {
    throw new CliError("--env and --cwd are for stdio servers (a command after --)", 2);
  }
  const common = {
    name,
    description: opts.description ?? null,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: timeoutOption(opts.timeoutMs) } : {}),
    ...(opts.isolation ? { isolation: opts.isolation } : {}),
  };
  let view: UpstreamView;
  try {
    view = toUpstreamView(
      createUpstream(
        cliContext(db),
        executable
          ? {
              ...common,
              transport: "stdio",
              command: executable,
              args,
              env: parsePairs(opts.env, "=", "--env"),
              cwd: opts.cwd ?? null,
            }
          : {
              ...common,
              transport: "http",
              url: opts.url ?? null,
              headers: parsePairs(opts.header, ":", "--header"),
            },
      ),
    );
  } catch (err) {
    throw err instanceof ZodError ? inputError(err, FLAGS) : err;
  }
  process.stdout.write(
    `added server ${view.name} (${view.transport}, ${view.isolation === "session" ? "one connection per session" : "shared connection"}): agents reach it at /mcp/${view.name}\n` +
      `next: portcullis policies apply ${view.name} <policy.yaml>\n`,
  );
  return 0;
}

function target(u: UpstreamView): string {
  return u.transport === "stdio" ? [u.command ?? "", ...u.args].join(" ") : (u.url ?? "");
}

/** `servers list`: a table, or the views as JSON; environment and header values never appear. */
export function serversList(db: Db, opts: { json?: boolean }): number {
  const views = listUpstreams(cliContext(db)).map((u) =>
    toUpstreamView(u.upstream, u.activePolicyVersion),
  );
  return printList(
    views,
    opts,
    "no servers yet (add one with portcullis servers add)",
    ["NAME", "TRANSPORT", "CONNECTION", "STATUS", "POLICY", "ENV/HEADERS", "TARGET"],
    (u) => [
      [
        u.name,
        u.transport,
        u.isolation,
        u.enabled ? "enabled" : "disabled",
        u.activePolicyVersion === null ? "none" : `v${u.activePolicyVersion}`,
        [...u.envNames, ...u.headerNames].join(",") || "-",
        target(u),
      ],
    ],
  );
}

/**
 * `servers remove`: deletes a server that has no policy history and no grants. Those are kept
 * for the record, so such a server can only be disabled; the error says how.
 */
export function serversRemove(db: Db, name: string): number {
  const upstream = findServer(db, name);
  try {
    deleteUpstream(cliContext(db), { upstreamId: upstream.id });
  } catch (err) {
    if (err instanceof AppError && err.code === "CONFLICT")
      throw new CliError(`${err.message}: portcullis servers disable ${name}`, 1);
    throw err;
  }
  process.stdout.write(`removed server ${name}; /mcp/${name} is gone from the next request\n`);
  return 0;
}

/** `servers disable` / `servers enable`: the console's switch; history stays. */
export function serversSetEnabled(db: Db, name: string, enabled: boolean): number {
  const upstream = findServer(db, name);
  updateUpstream(cliContext(db), { upstreamId: upstream.id, enabled });
  process.stdout.write(
    enabled
      ? `enabled server ${name}; the gateway serves /mcp/${name} again\n`
      : `disabled server ${name}; the gateway answers 404 for /mcp/${name}\n`,
  );
  return 0;
}
