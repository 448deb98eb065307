export type RiskCategory = "Read" | "Write" | "Execute" | "Destructive" | "Financial" | "Other";
export type RiskLevel = "low" | "medium" | "high" | "critical";

export const LEVELS: Readonly<Record<RiskCategory, RiskLevel>> = {
  Read: "low",
  Write: "medium",
  Execute: "high",
  Destructive: "critical",
  Financial: "critical",
  Other: "medium",
};

/** Higher ranks win when several signals disagree; annotations may raise a rank, never lower it. */
export const RANK: Readonly<Record<RiskCategory, number>> = {
  Other: 0,
  Read: 1,
  Write: 2,
  Execute: 3,
  Destructive: 4,
  Financial: 5,
};

const words = (text: string) => text.split(/\s+/).filter(Boolean);

/** Verbs (and verb-like nouns) that open tool names and descriptions, by the effect they imply. */
export const VERBS: ReadonlyMap<string, RiskCategory> = new Map<string, RiskCategory>([
  ...words(
    "delete deletes deleting remove removes drop drops destroy destroys purge purges truncate wipe wipes prune prunes erase erases revoke revokes terminate terminates kill kills uninstall unlink rm clear clears reset resets revert reverts",
  ).map((w) => [w, "Destructive"] as const),
  ...words(
    "execute executes exec run runs invoke invokes eval trigger triggers call calls launch launches shell command script deploy deploys rerun rollback apply applies",
  ).map((w) => [w, "Execute"] as const),
  ...words(
    "create creates add adds post posts send sends write writes edit edits set sets put push pushes upload uploads insert inserts modify modifies patch update updates upsert save saves rename renames move moves comment reply replies fork merge merges star unstar assign assigns label publish publishes register enable disable toggle toggles mark dismiss request react install build pull import tag copy archive cancel cancels close closes open-new manage manages provision provisions initialize init generate generates containerize finalize finalizes compress compresses convert converts transform transforms click type hover drag press navigate select fill resize scroll upgrade restore restart stop start",
  ).map((w) => [w, "Write"] as const),
  ...words(
    "get gets list lists search searches read reads describe describes fetch fetches find finds show shows view views lookup retrieve retrieves count counts check checks status inspect inspects explain explains analyze analyzes analyse analyses query queries echo echoes return returns whoami me tree info stats logs diff compare compares summarize open opens download downloads export exports wait troubleshoot troubleshooting audit scan scans validate validates verify verifies monitor access accesses identify identifies display displays",
  ).map((w) => [w, "Read"] as const),
]);

/** Name tokens that put money in play when the verb has an effect. */
export const MONEY_NOUNS: ReadonlySet<string> = new Set(
  words(
    "payment payments refund refunds charge charges payout payouts invoice invoices price prices checkout billing coupon coupons dispute disputes paymentintent paymentintents transfer transfers wallet purchase purchases",
  ),
);

/** Ambiguous nouns ("subscription", "transfer"): money only when the description says so. */
export const MONEY_CONTEXT =
  /\b(pay|payment|billing|invoice|price|charge|refund|stripe|customer|card|money|currency|amount|plan)\b/i;
export const AMBIGUOUS_MONEY_NOUNS: ReadonlySet<string> = new Set([
  "subscription",
  "subscriptions",
  "transfer",
  "transfers",
]);

export const READ_ONLY_CLAIM = /\bread[- ]only\b/i;

/**
 * Things a tool can hand out that let a caller act as someone else: the process environment,
 * secrets, credentials. Reading them is not harmless, whatever the server's hints say.
 */
export const SENSITIVE_NAME_NOUNS: ReadonlySet<string> = new Set(
  words(
    "env environ environment secret secrets credential credentials creds password passwords passwd apikey apikeys",
  ),
);
/** Trailing name words that do not change what the tool hands out (`list_env_vars`). */
export const GENERIC_TAIL_NOUNS: ReadonlySet<string> = new Set(
  words("var vars variable variables value values all list data info details"),
);
export const SENSITIVE_DESCRIPTION =
  /\b(environment variables|env vars|secrets|credentials|passwords|api keys|access tokens|private keys)\b/i;
