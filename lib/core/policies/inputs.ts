import { z } from "zod";

export const SavePolicyInput = z.object({
  upstreamId: z.string().min(1),
  yaml: z.string().max(512 * 1024, "Policy is larger than 512 KiB"),
  comment: z.string().trim().max(500).optional().nullable(),
  activate: z.boolean().default(true),
});
export type SavePolicyInput = z.input<typeof SavePolicyInput>;

export const ActivatePolicyVersionInput = z.object({ policyVersionId: z.string().min(1) });
export type ActivatePolicyVersionInput = z.input<typeof ActivatePolicyVersionInput>;

export const ValidatePolicyInput = z.object({
  yaml: z.string().max(512 * 1024, "Policy is larger than 512 KiB"),
});
export type ValidatePolicyInput = z.input<typeof ValidatePolicyInput>;
