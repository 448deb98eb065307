import type { RiskCategory } from "./lexicon";

/** A rule in the policy file's own shape, ready to be written under `tools.<name>.rules`. */
export type RecommendedRule = {
  action: "allow" | "deny";
  rate_limit?: { max: number; window: number };
  validate?: { required_args: true };
  reason?: string;
};

/**
 * Starter rules per category. Unknown ("Other") tools get the Write treatment: allowed, with a
 * rolling cap that bounds the damage until someone reviews them.
 */
export function recommendedRule(
  category: RiskCategory,
  { exposesSecrets = false }: { exposesSecrets?: boolean } = {},
): RecommendedRule {
  if (exposesSecrets && (category === "Read" || category === "Other")) {
    return {
      action: "deny",
      reason:
        "Exposes secrets or the environment: allow it deliberately (grant or policy edit) after review",
    };
  }
  switch (category) {
    case "Read":
      return { action: "allow" };
    case "Write":
    case "Other":
      return { action: "allow", rate_limit: { max: 30, window: 60 } };
    case "Execute":
      return {
        action: "allow",
        rate_limit: { max: 10, window: 60 },
        validate: { required_args: true },
      };
    case "Destructive":
      return {
        action: "deny",
        reason: "Destructive tool: allow it deliberately (grant or policy edit) after review",
      };
    case "Financial":
      return {
        action: "deny",
        reason: "Moves money: allow it deliberately (grant, approval or spend cap) after review",
      };
  }
}
