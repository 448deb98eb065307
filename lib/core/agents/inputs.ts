import { z } from "zod";

export const AgentNameInput = z
  .string()
  .trim()
  .min(1, "Name is required")
  .max(80, "Name is too long")
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9 ._-]*$/,
    "Use letters, digits, spaces, dots, dashes or underscores",
  );

export const CreateAgentInput = z.object({
  name: AgentNameInput,
  owner: z.string().trim().max(200).optional().nullable(),
  description: z.string().trim().max(1000).optional().nullable(),
});
export type CreateAgentInput = z.input<typeof CreateAgentInput>;

const FutureDate = z.coerce.date({ message: "Expiry must be a date" });

export const CreateAgentKeyInput = z.object({
  agentId: z.string().min(1),
  name: z.string().trim().min(1, "Key name is required").max(80),
  expiresAt: FutureDate.optional().nullable(),
});
export type CreateAgentKeyInput = z.input<typeof CreateAgentKeyInput>;

export const RevokeAgentKeyInput = z.object({ keyId: z.string().min(1) });
export type RevokeAgentKeyInput = z.input<typeof RevokeAgentKeyInput>;

export const UpdateAgentInput = z
  .object({
    agentId: z.string().min(1),
    name: AgentNameInput.optional(),
    owner: z.string().trim().max(200).optional().nullable(),
    description: z.string().trim().max(1000).optional().nullable(),
    disabled: z.boolean({ message: "disabled must be true or false" }).optional(),
  })
  .refine(
    (v) =>
      v.name !== undefined ||
      v.owner !== undefined ||
      v.description !== undefined ||
      v.disabled !== undefined,
    { message: "Nothing to change" },
  );
export type UpdateAgentInput = z.input<typeof UpdateAgentInput>;

export const DisableAgentInput = z.object({ agentId: z.string().min(1) });
export type DisableAgentInput = z.input<typeof DisableAgentInput>;
