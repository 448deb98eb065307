import {
  AMBIGUOUS_MONEY_NOUNS,
  LEVELS,
  MONEY_CONTEXT,
  MONEY_NOUNS,
  RANK,
  GENERIC_TAIL_NOUNS,
  READ_ONLY_CLAIM,
  type RiskCategory,
  type RiskLevel,
  SENSITIVE_DESCRIPTION,
  SENSITIVE_NAME_NOUNS,
  VERBS,
} from "./lexicon";
import { recommendedRule, type RecommendedRule } from "./recommend";
import { firstSentenceWords, nameTokens } from "./tokens";

export type ToolAnnotations = {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
  title?: string;
};

export type ClassifiableTool = {
  name: string;
  description?: string | null;
  inputSchema?: unknown;
  annotations?: ToolAnnotations | null;
};

export type RiskAssessment = {
  category: RiskCategory;
  level: RiskLevel;
  evidence: string[];
  confidence: number;
  recommendedRule: RecommendedRule;
  /** Where the server's own annotations say something the name, description or schema contradict. */
  hintConflicts: string[];
};

const EXECUTABLE_ARGUMENTS = new Set([
  "command",
  "cmd",
  "script",
  "code",
  "sql",
  "shell",
  "expression",
]);

function schemaPropertyNames(schema: unknown): string[] {
  if (typeof schema !== "object" || schema === null) return [];
  const properties = (schema as { properties?: unknown }).properties;
  return typeof properties === "object" && properties !== null ? Object.keys(properties) : [];
}

function firstVerb(tokens: readonly string[]): [string, RiskCategory] | null {
  for (const token of tokens) {
    const category = VERBS.get(token);
    if (category) return [token, category];
  }
  return null;
}

function strongest(tokens: readonly string[]): [string, RiskCategory] | null {
  let best: [string, RiskCategory] | null = null;
  for (const token of tokens) {
    const category = VERBS.get(token);
    if (category && (!best || RANK[category] > RANK[best[1]])) best = [token, category];
  }
  return best;
}

/** What the tool hands out when it reads: the environment, secrets, credentials; null if none. */
function exposedSecret(tokens: readonly string[], description: string): string | null {
  let end = tokens.length;
  while (end > 1 && GENERIC_TAIL_NOUNS.has(tokens[end - 1] ?? "")) end -= 1;
  const head = tokens[end - 1];
  if (head !== undefined && SENSITIVE_NAME_NOUNS.has(head)) return `name ends in "${head}"`;
  const sentence = description.split(/(?<=[.!?])\s|\n/)[0] ?? "";
  const said = SENSITIVE_DESCRIPTION.exec(sentence);
  return said ? `description mentions "${said[0].toLowerCase()}"` : null;
}

const EFFECTS: ReadonlySet<RiskCategory> = new Set([
  "Write",
  "Execute",
  "Destructive",
  "Financial",
]);

/** The annotations the classification contradicts, in words an operator can act on. */
function hintConflicts(
  hints: ToolAnnotations,
  category: RiskCategory,
  exposes: string | null,
): string[] {
  const out: string[] = [];
  if (hints.readOnlyHint === true && EFFECTS.has(category))
    out.push(`the server says read-only (readOnlyHint), but the tool looks like ${category}`);
  if (hints.readOnlyHint === true && exposes)
    out.push(
      `the server says read-only (readOnlyHint), but what it reads is sensitive (${exposes})`,
    );
  if (hints.readOnlyHint === false && category === "Read")
    out.push("the server says it has effects (readOnlyHint: false), but the tool looks like Read");
  if (hints.destructiveHint === false && category === "Destructive")
    out.push(
      "the server says not destructive (destructiveHint: false), but the tool looks Destructive",
    );
  // Overwriting is a destructive update in the spec's sense, so only a pure read contradicts it.
  if (hints.destructiveHint === true && category === "Read")
    out.push("the server says destructive (destructiveHint), but the tool looks like Read");
  return out;
}

/**
 * Classifies one MCP tool from its name, description and input schema first; the server's
 * annotations come last and may only raise the risk, because a hostile server controls them. The
 * name's verb decides first; the description decides when the name has none. A tool that reads
 * secrets or the environment is rated high whatever it claims. Every annotation the verdict
 * contradicts is listed in `hintConflicts`. Pure and deterministic.
 */
export function classifyTool(tool: ClassifiableTool): RiskAssessment {
  const evidence: string[] = [];
  const tokens = nameTokens(tool.name);
  const description = tool.description ?? "";
  const sentence = firstSentenceWords(description);
  let category: RiskCategory = "Other";
  let confidence = 0.3;

  const nameVerb = firstVerb(tokens);
  const nameDestructive = tokens
    .map((t) => [t, VERBS.get(t)] as const)
    .find(([, c]) => c === "Destructive");
  if (nameDestructive) {
    category = "Destructive";
    confidence = 0.9;
    evidence.push(`name contains "${nameDestructive[0]}"`);
  } else if (nameVerb) {
    category = nameVerb[1];
    confidence = 0.85;
    evidence.push(`name verb "${nameVerb[0]}" → ${nameVerb[1]}`);
  } else {
    // Descriptions list several operations ("Read/create/update/delete …"): the riskiest counts.
    const described = strongest(sentence);
    if (described) {
      category = described[1];
      confidence = 0.65;
      evidence.push(`description verb "${described[0]}" → ${described[1]}`);
    }
  }

  const describedMax = strongest(sentence);
  if (
    describedMax &&
    describedMax[1] === "Destructive" &&
    category !== "Destructive" &&
    category !== "Read"
  ) {
    evidence.push(`description mentions "${describedMax[0]}"`);
    category = "Destructive";
    confidence = Math.min(confidence, 0.7);
  }

  if (category === "Execute" && READ_ONLY_CLAIM.test(description) && nameVerb?.[0] !== "execute") {
    evidence.push('description claims "read-only"');
  }
  if (
    (category === "Read" || category === "Other") &&
    schemaPropertyNames(tool.inputSchema).some((p) => EXECUTABLE_ARGUMENTS.has(p.toLowerCase())) &&
    !READ_ONLY_CLAIM.test(description)
  ) {
    evidence.push("input schema takes a command, script or SQL argument");
    category = "Execute";
    confidence = 0.7;
  }

  const hints = tool.annotations ?? {};
  const ownCategory = category;
  if (hints.destructiveHint === true && RANK[category] < RANK.Destructive && category !== "Write") {
    evidence.push("annotation destructiveHint: true");
    category = category === "Other" ? "Destructive" : category;
  } else if (hints.destructiveHint === true) {
    evidence.push("annotation destructiveHint: true");
  }
  if (hints.readOnlyHint === true) {
    // Never lowers anything: an unknown tool stays Other (allowed under a cap) until reviewed.
    evidence.push("annotation readOnlyHint: true (a hint from the server, not trusted)");
  } else if (hints.readOnlyHint === false && category === "Read") {
    evidence.push("annotation readOnlyHint: false");
    category = "Write";
    confidence = Math.min(confidence, 0.6);
  }

  if (category !== "Read" && category !== "Other") {
    const money = tokens.find((t) => MONEY_NOUNS.has(t));
    const ambiguous = tokens.find((t) => AMBIGUOUS_MONEY_NOUNS.has(t));
    if (money) {
      evidence.push(`name mentions "${money}" (money moves)`);
      category = "Financial";
      confidence = Math.max(confidence, 0.8);
    } else if (
      ambiguous &&
      MONEY_CONTEXT.test(`${description} ${tool.name}`) &&
      !/notification/i.test(tool.name)
    ) {
      evidence.push(`name mentions "${ambiguous}" with billing context`);
      category = "Financial";
      confidence = Math.max(confidence, 0.7);
    }
  }

  const exposes =
    category === "Read" || category === "Other" ? exposedSecret(tokens, description) : null;
  let level = LEVELS[category];
  if (exposes) {
    evidence.push(`exposes secrets or the environment: ${exposes}`);
    level = "high";
  }

  if (evidence.length === 0) evidence.push("no verb or annotation recognised");
  return {
    category,
    level,
    evidence,
    confidence,
    recommendedRule: recommendedRule(category, { exposesSecrets: exposes !== null }),
    hintConflicts: hintConflicts(hints, ownCategory, exposes),
  };
}
