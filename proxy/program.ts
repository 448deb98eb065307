import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { ZodError } from "zod";

import { AppError } from "@/lib/core/errors";
import { EnvError, loadCliEnv, loadGatewayEnv } from "@/lib/env";
import { integritySettings } from "@/lib/services/audit/maintenance";
import { closeDatabase } from "@/lib/services/database";
import { agentsCreate, agentsList, agentsRevokeKey } from "./commands/agents";
import { approvalsDecide, approvalsList } from "./commands/approvals";
import { auditExport } from "./commands/audit";
import {
  auditCheckpoint,
  auditCheckpoints,
  auditPublicKey,
  auditRetain,
  auditRotateKey,
  auditVerify,
  type VerifyOptions,
} from "./commands/audit-integrity";
import { policiesApply } from "./commands/policies";
import { scanCommand } from "./commands/scan";
import { secretsRotateKey } from "./commands/secrets";
import {
  type AddServerOptions,
  serversAdd,
  serversList,
  serversRemove,
  serversSetEnabled,
} from "./commands/servers";
import { statusCommand } from "./commands/status";
import { toolsAccept, toolsList } from "./commands/tools";
import { usersResetPassword } from "./commands/users";
import { validateCommand } from "./commands/validate";
import { log, setLogLevel } from "./log";
import { runStdio } from "./run";
import { CliError, inputError, openDatabase } from "./runtime";
import { gatewayOptions, startGateway } from "./serve";

const collect = (value: string, previous: string[]) => [...previous, value];
const port = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new CliError(`--port must be a port number (got ${value})`, 2);
  return n;
};

/** Audit integrity settings; call after db(program), which may set PORTCULLIS_DB. */
const integrity = () => integritySettings(loadCliEnv());

function db(program: Command) {
  const file = (program.opts() as { db?: string }).db;
  if (file) process.env.PORTCULLIS_DB = file;
  return openDatabase(loadCliEnv().PORTCULLIS_DB);
}

export function buildProgram(): Command {
  let exitCode = 0;
  const done = (code: number) => {
    exitCode = code;
  };
  const program = new Command("portcullis")
    .description(
      "Policy gateway for MCP: decide, record and explain every tool call an AI agent makes.",
    )
    .option(
      "--db <file>",
      "SQLite database file (default: $PORTCULLIS_DB or ~/.portcullis/portcullis.db)",
    )
    .option("--log-level <level>", "debug | info | warn | error (stderr only)")
    .enablePositionalOptions()
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
    })
    .hook("preAction", (root) => {
      const o = root.opts() as { db?: string; logLevel?: string };
      if (o.db) process.env.PORTCULLIS_DB = o.db;
      const level = o.logLevel ?? process.env.PORTCULLIS_LOG_LEVEL;
      if (level) {
        if (!["debug", "info", "warn", "error"].includes(level))
          throw new CliError("--log-level must be debug, info, warn or error", 2);
        setLogLevel(level as "debug");
      }
    });

  program
    .command("run")
    .description(
      "Stdio MCP proxy: spawn an upstream server (or bridge to a Streamable HTTP one) and enforce policy on it",
    )
    .option(
      "--server <name>",
      "use this configured server's active policy, grants and (if no command is given) its command",
    )
    .option(
      "--policy <file>",
      "use a policy file instead of the console (validated at start, reloaded on change)",
    )
    .option("--name <name>", "server name for audit rows with --policy (default: the file name)")
    .option("--agent-key <key>", "agent key to act as (default: $PORTCULLIS_AGENT_KEY)")
    .option(
      "--upstream <url>",
      "bridge to a Streamable HTTP MCP server instead of spawning a command",
      httpUrl,
    )
    .option(
      "--header <header>",
      "extra header for --upstream, 'Name: value' (repeatable)",
      collect,
      [] as string[],
    )
    .argument("[command...]", "upstream server command and its arguments (after --, or directly)")
    .passThroughOptions()
    .addHelpText(
      "after",
      "\nExamples:\n  portcullis run --server everything -- node node_modules/@modelcontextprotocol/server-everything/dist/index.js stdio\n  portcullis run --policy github.yaml -- npx -y @modelcontextprotocol/server-github\n  portcullis run --policy remote.yaml --upstream https://mcp.example.com/mcp --header 'Authorization: Bearer …'",
    )
    .action(
      async (
        command: string[],
        opts: {
          server?: string;
          policy?: string;
          name?: string;
          agentKey?: string;
          upstream?: string;
          header: string[];
        },
      ) => {
        const env = loadCliEnv();
        done(
          await runStdio(
            {
              command,
              header: opts.header,
              ...(opts.server ? { server: opts.server } : {}),
              ...(opts.policy ? { policy: opts.policy } : {}),
              ...(opts.name ? { name: opts.name } : {}),
              ...(opts.agentKey ? { agentKey: opts.agentKey } : {}),
              ...(opts.upstream ? { upstream: opts.upstream } : {}),
            },
            env,
          ),
        );
      },
    );

  program
    .command("serve")
    .description(
      "Streamable HTTP gateway: /mcp/<server> per configured upstream, /healthz and /metrics",
    )
    .option("--host <host>", "address to bind (default: $PORTCULLIS_HOST or 127.0.0.1)")
    .option(
      "--port <port>",
      "port (default: $PORTCULLIS_GATEWAY_PORT or 7400; 0 picks a free one)",
      port,
    )
    .action(async (opts: { host?: string; port?: number }) => {
      const env = loadGatewayEnv();
      const database = openDatabase(env.PORTCULLIS_DB);
      const gateway = await startGateway(gatewayOptions(database, env, opts));
      log.info(`gateway listening on ${gateway.url} (endpoints /mcp/<server>, /healthz, /metrics)`);
      await new Promise<void>((resolve) => {
        const stop = (sig: string) => {
          log.info(`${sig}: closing sessions and stopping`);
          void gateway.close().then(() => {
            closeDatabase(database);
            resolve();
          });
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      });
    });

  program
    .command("validate")
    .description("Check a policy file; prints every error with line:column")
    .requiredOption("-c, --config <file>", "policy file (YAML)")
    .action((opts: { config: string }) => done(validateCommand(opts.config)));

  program
    .command("scan")
    .description("Connect to an MCP server, classify its tools by risk and write a starter policy")
    .option(
      "--upstream <url>",
      "scan a Streamable HTTP server instead of spawning a command",
      httpUrl,
    )
    .option(
      "--header <header>",
      "extra header for --upstream, 'Name: value' (repeatable)",
      collect,
      [] as string[],
    )
    .option("-o, --output <file>", "write the starter policy here")
    .option("--force", "overwrite the --output file if it exists")
    .option("--json", "print the classification as JSON")
    .argument("[command...]", "server command and its arguments")
    .passThroughOptions()
    .action(
      async (
        command: string[],
        opts: {
          upstream?: string;
          header: string[];
          output?: string;
          json?: boolean;
          force?: boolean;
        },
      ) => {
        done(await scanCommand({ command, ...opts }));
      },
    );

  const audit = program
    .command("audit")
    .description("Verify, export and checkpoint the audit chain");
  audit
    .command("verify")
    .description(
      'Recompute the hash chain from the archive boundary and check every signed checkpoint: "chain intact: N rows", or the first problem (exit 1)',
    )
    .option("--checkpoints <file>", "also check checkpoints a witness kept (JSON or JSON Lines)")
    .option("--checkpoint <file>", "the same as --checkpoints (one checkpoint file)")
    .option(
      "--public-key <file>",
      "PEM public key(s) to check signatures with, instead of this host's key",
    )
    .option(
      "--archive <file...>",
      "verify archive files (audit-archive-*.jsonl.gz) instead of the database",
    )
    .action(async (opts: VerifyOptions) => {
      done(
        await auditVerify(db(program), integrity(), opts, loadCliEnv().PORTCULLIS_CHECKPOINT_KEY),
      );
    });
  audit
    .command("export")
    .description("Stream audit rows as JSON Lines or CSV")
    .addOption(
      new Option("--format <format>", "output format").choices(["jsonl", "csv"]).default("jsonl"),
    )
    .option("--since <time>", "from this time (ISO, or a span back from now: 30m, 24h, 7d)")
    .option("--until <time>", "before this time (ISO or span)")
    .addOption(
      new Option("--decision <decision>", "only decision rows with this decision").choices([
        "allow",
        "deny",
        "approval_required",
      ]),
    )
    .option("-o, --output <file>", "write to a file (default: stdout)")
    .action(
      async (opts: {
        format: string;
        since?: string;
        until?: string;
        decision?: string;
        output?: string;
      }) => {
        done(await auditExport(db(program), opts));
      },
    );
  audit
    .command("checkpoint")
    .description(
      "Verify the rows since the last checkpoint, sign the head with the Ed25519 key, store and print it",
    )
    .action(async () => done(await auditCheckpoint(db(program), integrity())));
  audit
    .command("checkpoints")
    .description("Print every stored checkpoint as JSON Lines, for an outside witness")
    .option("--since <seq>", "only checkpoints past this row")
    .option("-o, --output <file>", "write to a file (default: stdout)")
    .action((opts: { since?: string; output?: string }) =>
      done(auditCheckpoints(db(program), opts)),
    );
  audit
    .command("public-key")
    .description("Print the PEM public keys that verify checkpoints (current, then retired)")
    .action(() => {
      db(program);
      done(auditPublicKey(integrity()));
    });
  audit
    .command("rotate-key")
    .description("Replace the signing key; the old public key stays trusted for old checkpoints")
    .action(async () => done(await auditRotateKey(db(program), integrity())));
  audit
    .command("retain")
    .description(
      "Archive rows older than the retention age to audit-archive-*.jsonl.gz, then remove them",
    )
    .option("--days <n>", "age in days (default: PORTCULLIS_AUDIT_RETENTION_DAYS)")
    .action(async (opts: { days?: string }) =>
      done(await auditRetain(db(program), integrity(), opts)),
    );

  const approvals = program
    .command("approvals")
    .description("List and decide calls held for approval");
  approvals
    .command("list")
    .description("List approvals, newest first")
    .addOption(
      new Option("--status <status>", "only this status").choices([
        "pending",
        "approved",
        "denied",
        "expired",
        "consumed",
      ]),
    )
    .option("--json", "print JSON")
    .action((opts: { status?: string; json?: boolean }) => done(approvalsList(db(program), opts)));
  for (const verb of ["approve", "deny"] as const) {
    approvals
      .command(verb)
      .description(
        verb === "approve"
          ? "Approve a pending call (the agent's identical retry goes through once)"
          : "Deny a pending call",
      )
      .argument("<id>", "approval id (apr_…)")
      .option("--comment <text>", "why; shown to the agent on denial and kept in the audit log")
      .action((id: string, opts: { comment?: string }) =>
        done(approvalsDecide(db(program), id, verb, opts.comment)),
      );
  }

  const tools = program
    .command("tools")
    .description("The tool inventory: pinned definitions and quarantine");
  tools
    .command("list")
    .description("List recorded tools with status and risk")
    .option("--server <name>", "only this server")
    .addOption(
      new Option("--status <status>", "only this status").choices(["new", "active", "quarantined"]),
    )
    .option("--json", "print JSON")
    .action((opts: { server?: string; status?: string; json?: boolean }) =>
      done(toolsList(db(program), opts)),
    );
  tools
    .command("accept")
    .description(
      "Accept a quarantined tool's changed definition (pins it and makes it callable again)",
    )
    .argument("<server>", "server name")
    .argument("<tool>", "tool name")
    .action((server: string, tool: string) => done(toolsAccept(db(program), server, tool)));

  const servers = program
    .command("servers")
    .description("Configure the MCP servers behind the gateway (each change is audited)");
  servers
    .command("add")
    .description("Register a server: a stdio command after --, or a Streamable HTTP --url")
    .argument("<name>", "server name, a lower-case slug; the gateway endpoint is /mcp/<name>")
    .argument("[command...]", "stdio: the executable and its arguments, after --")
    .option("--url <url>", "a Streamable HTTP server instead of a command")
    .option(
      "--header <header>",
      "header sent to a --url server, 'Name: value' (repeatable)",
      collect,
      [] as string[],
    )
    .option(
      "--env <pair>",
      "environment variable for the command, NAME=value (repeatable)",
      collect,
      [] as string[],
    )
    .option("--cwd <dir>", "working directory of the command")
    .option("--description <text>", "what the server is for")
    .option("--timeout-ms <ms>", "time-out of a forwarded call (default 60000)")
    .addOption(
      new Option(
        "--isolation <mode>",
        "shared: one upstream connection for every client session (default); session: one per client session",
      ).choices(["shared", "session"]),
    )
    .addHelpText(
      "after",
      "\nExamples:\n  portcullis servers add files --isolation session -- node /srv/server-filesystem/dist/index.js /srv/shared\n  portcullis servers add github --url https://mcp.example.com/mcp --header 'Authorization: Bearer …'",
    )
    .action((name: string, command: string[], opts: AddServerOptions) =>
      done(serversAdd(db(program), name, command, opts)),
    );
  servers
    .command("list")
    .description("List servers: transport, connection, status, active policy version, target")
    .option("--json", "print JSON (environment and header names only, never values)")
    .action((opts: { json?: boolean }) => done(serversList(db(program), opts)));
  servers
    .command("remove")
    .description(
      "Delete a server without policy history or grants (otherwise disable it: history is kept)",
    )
    .argument("<name>", "server name")
    .action((name: string) => done(serversRemove(db(program), name)));
  for (const verb of ["disable", "enable"] as const) {
    servers
      .command(verb)
      .description(
        verb === "disable"
          ? "Stop serving a server (404 from the next request); its policy and grants are kept"
          : "Serve a disabled server again",
      )
      .argument("<name>", "server name")
      .action((name: string) => done(serversSetEnabled(db(program), name, verb === "enable")));
  }

  const policies = program.command("policies").description("Manage servers' policies");
  policies
    .command("apply")
    .description(
      "Validate a policy file, save it as a new version of the server's policy and activate it",
    )
    .argument("<server>", "server name")
    .argument("<file>", "policy file (YAML)")
    .option("--comment <text>", "note kept with the version (default: the file name)")
    .action((server: string, file: string, opts: { comment?: string }) =>
      done(policiesApply(db(program), server, file, opts)),
    );

  const agents = program.command("agents").description("Manage agent identities and their keys");
  agents
    .command("create")
    .description("Create an agent and its first key; the key is printed once")
    .argument("<name>", "agent name")
    .option("--owner <owner>", "who is responsible for the agent")
    .option("--description <text>", "what the agent does")
    .option("--json", 'print {"agent": …, "key": …} as JSON')
    .action((name: string, opts: { owner?: string; description?: string; json?: boolean }) =>
      done(agentsCreate(db(program), name, opts)),
    );
  agents
    .command("list")
    .description("List agents and their keys (id, prefix, status, last use)")
    .option("--json", "print JSON")
    .action((opts: { json?: boolean }) => done(agentsList(db(program), opts)));
  agents
    .command("keys")
    .description("Manage agent keys")
    .command("revoke")
    .description("Revoke a key; the gateway refuses it from the next request")
    .argument("<key>", "key id (key_…), its prefix (pcs_…) as listed, or the key itself")
    .action((ref: string) => done(agentsRevokeKey(db(program), ref)));

  program
    .command("users")
    .description("Manage console users")
    .command("reset-password")
    .description(
      "Set a new password (generated and printed once, or read from stdin), end the user's sessions and clear their failed sign-ins",
    )
    .argument("<email>", "the console user's email")
    .option("--password-stdin", "read the new password from standard input instead")
    .option("--reset-mfa", "also remove the user's two-factor authentication and recovery codes")
    .action((email: string, opts: { passwordStdin?: boolean; resetMfa?: boolean }) =>
      usersResetPassword(db(program), email, opts).then(done),
    );

  const secrets = program
    .command("secrets")
    .description("Upstream secrets (env and header values), sealed with AES-256-GCM at rest");
  secrets
    .command("rotate-key")
    .description(
      "Re-seal every upstream secret under a new key: a fresh key in the key file beside the database, or the key now in PORTCULLIS_SECRETS_KEY",
    )
    .action(() => done(secretsRotateKey(db(program))));

  program
    .command("status")
    .description(
      "Running instances, calls per minute, deny rate, top deny rules and recent denials",
    )
    .option("--json", "print JSON")
    .action((opts: { json?: boolean }) => done(statusCommand(db(program), opts)));

  program.hook("postAction", () => {
    (program as Command & { exitStatus?: number }).exitStatus = exitCode;
  });
  return program;
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    if (
      err.code === "commander.helpDisplayed" ||
      err.code === "commander.version" ||
      err.code === "commander.help"
    )
      return 0;
    if (err.code === "commander.executeSubCommandAsync") return err.exitCode;
    return 2;
  }
  if (err instanceof ZodError) return report(inputError(err));
  if (err instanceof CliError) {
    process.stderr.write(`portcullis: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof EnvError) {
    process.stderr.write(`portcullis: ${err.message}\n`);
    return 2;
  }
  if (err instanceof AppError) {
    process.stderr.write(`portcullis: ${err.message}\n`);
    return err.code === "VALIDATION" ? 2 : 1;
  }
  process.stderr.write(
    `portcullis: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  return 1;
}

/** Runs the CLI on `argv` (as in process.argv) and resolves with the exit status. */
export async function main(argv: string[]): Promise<number> {
  try {
    const program = buildProgram();
    await program.parseAsync(argv);
    return (program as Command & { exitStatus?: number }).exitStatus ?? 0;
  } catch (err) {
    return report(err);
  }
}

/** An http(s) URL, refused with a clear message otherwise. */
function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError("not a URL (for example https://mcp.example.com/mcp)");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new InvalidArgumentError("only http and https URLs can be bridged");
  return value;
}
