import { ValidatePolicyInput } from "@/lib/core/policies/inputs";
import type { PolicyValidationView } from "@/lib/core/policies/views";
import { loadPolicy } from "@/lib/core/policy/load";
import { requireViewer, type ServiceContext } from "../context";

/**
 * Checks a draft policy exactly as saving would (parse, validate, compile) without writing
 * anything: every problem at once, each with its path and YAML line:column when known.
 * Any signed-in user may check a draft; saving needs the editor role.
 */
export function validatePolicy(
  ctx: ServiceContext,
  raw: ValidatePolicyInput,
): PolicyValidationView {
  requireViewer(ctx);
  const input = ValidatePolicyInput.parse(raw);
  const result = loadPolicy(input.yaml);
  return result.ok
    ? { ok: true, errors: [], warnings: result.warnings }
    : { ok: false, errors: result.errors, warnings: [] };
}
