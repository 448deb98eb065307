/**
 * What an `allow` grant can change about a refusal, by the refusal's cause. It mirrors the
 * engine's order (hide → deny grants → default posture → rules → approval → limits): a grant
 * only lets an agent past the default posture and, when it sets a limit of its own, past the
 * policy's per-agent rate limits. The check before saving a grant still runs the engine; this
 * table is what the console says about it and what to do instead.
 */
export type GrantFix =
  "none" | "edit_hide" | "edit_rule" | "revoke_deny_grant" | "review_tool" | "set_own_limit";

export type GrantReach = {
  /** `yes`: a plain allow grant lifts this refusal; `own_limit`: only one with its own limit. */
  helps: "yes" | "own_limit" | "no";
  why: string;
  fix: GrantFix;
};

const REACH: Record<string, GrantReach> = {
  not_permitted: {
    helps: "yes",
    why: "The policy does not list this tool under default: deny; an allow grant lets this agent call it.",
    fix: "none",
  },
  hidden: {
    helps: "no",
    why: "The tool is hidden by the policy's hide list, which no grant overrides.",
    fix: "edit_hide",
  },
  grant_deny: {
    helps: "no",
    why: "A deny grant for this agent refuses the tool; deny grants win over allow grants.",
    fix: "revoke_deny_grant",
  },
  rule: {
    helps: "no",
    why: "A deny rule refuses the tool for every agent; grants do not bypass rules.",
    fix: "edit_rule",
  },
  condition: {
    helps: "no",
    why: "A rule's condition refused these arguments; grants do not bypass rules.",
    fix: "edit_rule",
  },
  invalid_arguments: {
    helps: "no",
    why: "The arguments failed the rule's validation; grants do not bypass rules.",
    fix: "edit_rule",
  },
  rate_limit: {
    helps: "own_limit",
    why: "A grant lifts the policy's per-agent rate limits only when it sets a limit of its own; shared limits and spend caps still apply.",
    fix: "set_own_limit",
  },
  quarantined: {
    helps: "no",
    why: "The tool's definition changed and it is held for review; no grant overrides that.",
    fix: "review_tool",
  },
};

const OTHER: GrantReach = {
  helps: "no",
  why: "This refusal was not made by the policy (the gateway could not decide or record it).",
  fix: "none",
};

/** What a grant can do about a refusal with this audit `cause`. */
export function grantReach(cause: string | null): GrantReach {
  return (cause && REACH[cause]) || OTHER;
}
