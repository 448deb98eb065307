import os from "node:os";
import path from "node:path";

import { z } from "zod";

const port = (fallback: number) =>
  z.coerce
    .number({ error: "must be a port number (1-65535)" })
    .int("must be a port number (1-65535)")
    .min(1, "must be a port number (1-65535)")
    .max(65_535, "must be a port number (1-65535)")
    .default(fallback);
const positiveInt = (fallback: number) =>
  z.coerce
    .number({ error: "must be a positive whole number" })
    .int("must be a positive whole number")
    .positive("must be a positive whole number")
    .default(fallback);
const host = z
  .string()
  .regex(/^[A-Za-z0-9.:[\]-]+$/, "must be a host name or an IP address")
  .default("127.0.0.1");

const isSecretsKey = (s: string) =>
  /^[A-Za-z0-9+/_-]{43}=?$/.test(s) && Buffer.from(s, "base64").length === 32;
const secretsKey = z
  .string()
  .refine(isSecretsKey, "must be 32 random bytes in base64 (openssl rand -base64 32)");

// Host names (no port) the console and the gateway answer to besides loopback and the bind address.
const allowedHosts = z
  .string()
  .default("")
  .transform((s) =>
    s
      .split(",")
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );

export const DEFAULT_DB_PATH = path.join(os.homedir(), ".portcullis", "portcullis.db");

const shared = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("production"),
  PORTCULLIS_DB: z
    .string()
    .default(DEFAULT_DB_PATH)
    .transform((p) => path.resolve(p.replace(/^~(?=$|\/)/, os.homedir()))),
  PORTCULLIS_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  // Seals upstream env and header values; default: a 0600 key file beside the database.
  PORTCULLIS_SECRETS_KEY: secretsKey.optional(),
  PORTCULLIS_SECRETS_KEY_PREVIOUS: z
    .string()
    .refine(
      (s) => s.split(",").every((k) => !k.trim() || isSecretsKey(k.trim())),
      "must be comma-separated keys of 32 bytes in base64",
    )
    .optional(),
});

const wholeNumber = (fallback: number, zero: string) => {
  const error = `must be a whole number (${zero})`;
  return z.coerce.number({ error }).int(error).min(0, error).default(fallback);
};

// Audit integrity: the Ed25519 key that signs checkpoints (PEM; default a 0600 file beside the
// database), how often checkpoints are written, and how long rows stay before they are archived.
const auditIntegrity = {
  PORTCULLIS_AUDIT_SIGNING_KEY: z
    .string()
    .transform((s) => s.replace(/\\n/g, "\n"))
    .refine((s) => s.includes("PRIVATE KEY"), "must be a PEM private key (PKCS#8)")
    .optional(),
  PORTCULLIS_AUDIT_CHECKPOINT_ROWS: wholeNumber(10_000, "0 turns the row trigger off"),
  PORTCULLIS_AUDIT_CHECKPOINT_MINUTES: wholeNumber(10, "0 turns the time trigger off"),
  PORTCULLIS_AUDIT_RETENTION_DAYS: wholeNumber(0, "0 keeps every row"),
  PORTCULLIS_AUDIT_ARCHIVE_DIR: z.string().optional(), // default: audit-archive beside the database
};

const consoleSchema = shared.extend({
  PORTCULLIS_HOST: host,
  PORTCULLIS_CONSOLE_PORT: port(7300),
  PORTCULLIS_GATEWAY_URL: z.url().optional(), // shown in the console's connection snippets
  PORTCULLIS_GATEWAY_PORT: port(7400), // the snippets' port when PORTCULLIS_GATEWAY_URL is unset
  PORTCULLIS_SMTP_URL: z.url().optional(),
  PORTCULLIS_CONTACT_NOTIFY_TO: z.email().optional(),
  PORTCULLIS_CONTACT_NOTIFY_FROM: z.email().optional(),
  // Signs the contact form's render-time token; a random per-process key is used when unset.
  PORTCULLIS_CONTACT_FORM_KEY: z.string().min(32, "needs at least 32 characters").optional(),
  PORTCULLIS_TRUST_PROXY: z.enum(["0", "1"]).default("0"), // honour X-Forwarded-For
  PORTCULLIS_ALLOWED_HOSTS: allowedHosts, // read by scripts/console-server.mjs (DNS rebinding)
  ...auditIntegrity,
});

const gatewaySchema = shared.extend({
  PORTCULLIS_HOST: host,
  PORTCULLIS_GATEWAY_PORT: port(7400),
  PORTCULLIS_ALLOWED_ORIGINS: z
    .string()
    .default("")
    .transform((s) =>
      s
        .split(",")
        .map((o) => o.trim())
        .filter(Boolean),
    ),
  PORTCULLIS_ALLOWED_HOSTS: allowedHosts,
  PORTCULLIS_UPSTREAM_TIMEOUT_MS: positiveInt(60_000),
  PORTCULLIS_APPROVAL_WAIT_MS: z.coerce.number().int().min(0).default(20_000),
  PORTCULLIS_MAX_BODY_BYTES: positiveInt(1_048_576),
  PORTCULLIS_MAX_JSON_DEPTH: positiveInt(64),
  PORTCULLIS_MAX_SESSIONS: positiveInt(64),
  // One agent (one leaked or looping key) may not take every session slot from the others.
  PORTCULLIS_MAX_SESSIONS_PER_AGENT: positiveInt(16),
  PORTCULLIS_SESSION_IDLE_MS: positiveInt(10 * 60_000),
  // At a limit, the agent's own session left with nothing open this long makes room.
  PORTCULLIS_SESSION_RECLAIM_MS: positiveInt(30_000),
  PORTCULLIS_UPSTREAM_IDLE_MS: positiveInt(10 * 60_000), // a shared upstream with no traffic stops
  // Keys the HMAC of tool arguments in audit rows under `audit.arguments: hash`; never stored.
  PORTCULLIS_AUDIT_HMAC_KEY: z.string().min(32, "needs at least 32 characters").optional(),
  // When set, /metrics answers only `Authorization: Bearer <token>`.
  PORTCULLIS_METRICS_TOKEN: z.string().min(16, "needs at least 16 characters").optional(),
  // Scheduled checkpoints in the gateway too (the console writes them as well).
  PORTCULLIS_AUDIT_MAINTENANCE: z.enum(["0", "1"]).default("1"),
  ...auditIntegrity,
});

const cliSchema = shared.extend({
  PORTCULLIS_AGENT_KEY: z.string().min(1).optional(),
  PORTCULLIS_UPSTREAM_TIMEOUT_MS: positiveInt(60_000),
  PORTCULLIS_APPROVAL_WAIT_MS: z.coerce.number().int().min(0).default(20_000),
  // Signs audit checkpoints; lives outside the database so a forged chain cannot be re-signed.
  PORTCULLIS_CHECKPOINT_KEY: z.string().min(32, "needs at least 32 characters").optional(),
  ...auditIntegrity,
  PORTCULLIS_AUDIT_HMAC_KEY: z.string().min(32, "needs at least 32 characters").optional(),
  PORTCULLIS_MAX_BODY_BYTES: positiveInt(4_194_304),
  PORTCULLIS_MAX_JSON_DEPTH: positiveInt(64),
});

const seedSchema = shared.extend({
  PORTCULLIS_ADMIN_EMAIL: z
    .email()
    .default("admin@portcullis.local")
    .transform((e) => e.toLowerCase()),
  PORTCULLIS_ADMIN_PASSWORD: z.string().min(12, "needs at least 12 characters").optional(),
});

export type SharedEnv = z.infer<typeof shared>;
export type ConsoleEnv = z.infer<typeof consoleSchema>;
export type GatewayEnv = z.infer<typeof gatewaySchema>;
export type CliEnv = z.infer<typeof cliSchema>;

export type EnvSource = Readonly<Record<string, string | undefined>>;

export class EnvError extends Error {
  override readonly name = "EnvError";
}

function parse<S extends z.ZodType>(schema: S, source: EnvSource): z.infer<S> {
  // `FOO=` means "unset": defaults apply and required keys fail.
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ""));
  const result = schema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new EnvError(`Invalid environment:\n${problems.join("\n")}`);
  }
  return result.data;
}

let consoleEnv: ConsoleEnv | undefined;

/** Parsed on first use, not at import, so `next build` runs without runtime settings. */
export function getConsoleEnv(): ConsoleEnv {
  consoleEnv ??= parse(consoleSchema, process.env);
  return consoleEnv;
}

export const loadGatewayEnv = (source: EnvSource = process.env): GatewayEnv =>
  parse(gatewaySchema, source);

export const loadCliEnv = (source: EnvSource = process.env): CliEnv => parse(cliSchema, source);

export const loadSeedEnv = (source: EnvSource = process.env) => parse(seedSchema, source);

export const loadSharedEnv = (source: EnvSource = process.env): SharedEnv => parse(shared, source);
