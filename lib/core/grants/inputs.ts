import { z } from "zod";

export const ToolPatternInput = z
  .string()
  .trim()
  .min(1, "Tool pattern is required")
  .max(200, "Tool pattern is too long")
  .regex(/^[^\s\0]+$/, "Tool pattern must not contain spaces");

export const GrantRateLimitInput = z.object({
  max: z.coerce.number().int().min(1, "Limit must be at least 1").max(1_000_000),
  windowSeconds: z.coerce
    .number()
    .int()
    .min(1, "Window must be at least 1 second")
    .max(31 * 24 * 3600),
});

export const CreateGrantInput = z.object({
  agentId: z.string().min(1, "Agent is required"),
  upstreamId: z.string().min(1, "Server is required"),
  toolPattern: ToolPatternInput,
  effect: z.enum(["allow", "deny"], { message: 'Effect must be "allow" or "deny"' }),
  rateLimit: GrantRateLimitInput.optional().nullable(),
  expiresAt: z.coerce.date({ message: "Expiry must be a date" }).optional().nullable(),
  reason: z.string().trim().max(500).optional().nullable(),
  /** The refused call this grant is for: the grant is refused when it would not let it through. */
  forEventId: z.string().min(1).optional().nullable(),
});
export type CreateGrantInput = z.input<typeof CreateGrantInput>;

export const RevokeGrantInput = z.object({ grantId: z.string().min(1) });
export type RevokeGrantInput = z.input<typeof RevokeGrantInput>;

export const ListGrantsInput = z.object({
  agentId: z.string().optional(),
  upstreamId: z.string().optional(),
  includeRevoked: z.boolean().default(false),
});
export type ListGrantsInput = z.input<typeof ListGrantsInput>;
