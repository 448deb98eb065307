import { z } from "zod";

const MAX_ARGUMENTS_CHARS = 64 * 1024;
const MAX_DRAFT_CHARS = 200 * 1024;

export const REPLAY_DEFAULT = 1_000;
export const REPLAY_MAX = 100_000;

const Draft = z
  .string()
  .max(MAX_DRAFT_CHARS, "The draft is larger than 200 KiB")
  .optional()
  .nullable();

export const DryRunInput = z.object({
  upstreamId: z.string().min(1, "Server is required"),
  agentId: z.string().min(1, "Pick an agent"),
  tool: z.string().trim().min(1, "Pick a tool").max(200, "Tool name is too long"),
  /** The arguments as the operator typed them: JSON text of an object. */
  arguments: z.string().max(MAX_ARGUMENTS_CHARS, "Arguments are larger than 64 KiB"),
  /** Unsaved YAML to test instead of the policy in force. */
  draft: Draft,
});
export type DryRunInput = z.input<typeof DryRunInput>;

export const ReplayInput = z.object({
  upstreamId: z.string().min(1, "Server is required"),
  draft: Draft,
  limit: z.coerce
    .number()
    .int("The number of calls must be a whole number")
    .min(1, "Replay at least one call")
    .max(REPLAY_MAX, `Replay at most ${REPLAY_MAX.toLocaleString("en-US")} calls`)
    .default(REPLAY_DEFAULT),
});
export type ReplayInput = z.input<typeof ReplayInput>;

export const GrantCheckInput = z.object({
  /** The refused call (its `tool_call.decide` audit event). */
  eventId: z.string().min(1, "The refused call is required"),
  toolPattern: z.string().trim().min(1, "Tool pattern is required").max(200),
  rateLimit: z
    .object({ max: z.coerce.number().int().min(1), windowSeconds: z.coerce.number().int().min(1) })
    .optional()
    .nullable(),
});
export type GrantCheckInput = z.input<typeof GrantCheckInput>;
