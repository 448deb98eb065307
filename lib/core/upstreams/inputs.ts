import { z } from "zod";

export const UPSTREAM_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export const UpstreamNameInput = z
  .string()
  .trim()
  .regex(UPSTREAM_NAME_PATTERN, "Name must be a slug: lower-case letters, digits, - or _ (max 63)");

// The command is an executable, run with an argument array and no shell: anything a shell
// would interpret is refused so a value can never be mistaken for a pipeline.
const CommandInput = z
  .string()
  .trim()
  .min(1, "Command is required for stdio servers")
  .max(1024)
  .regex(
    /^[A-Za-z0-9_./@+:,=-]+$/,
    "Command must be a single executable path without spaces or shell characters",
  );

const ArgInput = z
  .string()
  .max(4096, "Argument is too long")
  .refine((s) => !s.includes("\0"), "Arguments must not contain NUL characters");

// Variables that make the loader or runtime execute code chosen by whoever sets them.
export const FORBIDDEN_ENV =
  /^(LD_|DYLD_)|^(NODE_OPTIONS|PYTHONSTARTUP|PYTHONPATH|PERL5OPT|RUBYOPT|BASH_ENV|ENV)$/;

const EnvInput = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "Environment names use letters, digits and _"),
    z
      .string()
      .max(8192)
      .refine((s) => !s.includes("\0"), "Values must not contain NUL characters"),
  )
  .refine((env) => Object.keys(env).every((k) => !FORBIDDEN_ENV.test(k)), {
    message: "Loader and interpreter hooks (LD_*, DYLD_*, NODE_OPTIONS, …) are not allowed",
  });

const HeadersInput = z.record(
  z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "Header names must be HTTP tokens"),
  z
    .string()
    .max(8192)
    .refine((s) => !/[\r\n\0]/.test(s), "Header values must not contain line breaks"),
);

/** `shared`: one upstream connection for every client session; `session`: one per session. */
const IsolationInput = z.enum(["shared", "session"], {
  message: 'Connection must be "shared" or "session"',
});

const UrlInput = z
  .url({ message: "URL must be an absolute http(s) URL" })
  .refine((u) => /^https?:$/.test(new URL(u).protocol), "URL must use http or https")
  .refine(
    (u) => !new URL(u).username && !new URL(u).password,
    "Put credentials in headers, not in the URL",
  );

export const CreateUpstreamInput = z
  .object({
    name: UpstreamNameInput,
    description: z.string().trim().max(1000).optional().nullable(),
    transport: z.enum(["stdio", "http"], { message: 'Transport must be "stdio" or "http"' }),
    command: CommandInput.optional().nullable(),
    args: z.array(ArgInput).max(64, "At most 64 arguments").optional(),
    env: EnvInput.optional(),
    cwd: z.string().trim().max(1024).optional().nullable(),
    url: UrlInput.optional().nullable(),
    headers: HeadersInput.optional(),
    timeoutMs: z.coerce
      .number()
      .int()
      .min(1000, "Timeout must be at least 1000 ms")
      .max(600_000)
      .optional(),
    isolation: IsolationInput.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.transport === "stdio") {
      if (!v.command)
        ctx.addIssue({
          code: "custom",
          path: ["command"],
          message: "Command is required for stdio servers",
        });
      if (v.url)
        ctx.addIssue({ code: "custom", path: ["url"], message: "stdio servers have no URL" });
    } else {
      if (!v.url)
        ctx.addIssue({
          code: "custom",
          path: ["url"],
          message: "URL is required for http servers",
        });
      if (v.command)
        ctx.addIssue({
          code: "custom",
          path: ["command"],
          message: "http servers have no command",
        });
    }
  });
export type CreateUpstreamInput = z.input<typeof CreateUpstreamInput>;

/** Fields left out stay as they are; `headers` and `env`, when given, replace the whole map. */
export const UpdateUpstreamInput = z.object({
  upstreamId: z.string().min(1),
  description: z.string().trim().max(1000).optional().nullable(),
  enabled: z.boolean().optional(),
  command: CommandInput.optional(),
  args: z.array(ArgInput).max(64, "At most 64 arguments").optional(),
  env: EnvInput.optional(),
  url: UrlInput.optional(),
  headers: HeadersInput.optional(),
  timeoutMs: z.coerce
    .number()
    .int()
    .min(1000, "Timeout must be at least 1000 ms")
    .max(600_000)
    .optional(),
  isolation: IsolationInput.optional(),
});
export type UpdateUpstreamInput = z.input<typeof UpdateUpstreamInput>;

export const DeleteUpstreamInput = z.object({ upstreamId: z.string().min(1) });
export type DeleteUpstreamInput = z.input<typeof DeleteUpstreamInput>;
