import { Document, isMap, isScalar } from "yaml";

import { type ClassifiableTool, classifyTool } from "./classify";

export type StarterPolicyOptions = { description?: string };

const MAX_COMMENT_LENGTH = 300;

function commentText(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const cut = flat.length > MAX_COMMENT_LENGTH ? `${flat.slice(0, MAX_COMMENT_LENGTH - 1)}…` : flat;
  return ` ${cut}`;
}

/**
 * Renders a starter policy for a server's tools: `default: deny`, every tool listed with the
 * rule its risk category recommends, and the tool's description plus the classifier's verdict
 * as YAML comments above each entry. The output always passes `parsePolicy`.
 */
export function renderStarterPolicy(
  tools: readonly ClassifiableTool[],
  options: StarterPolicyOptions = {},
): string {
  const entries: Record<string, { rules: unknown[] }> = {};
  const verdicts = new Map<string, string[]>();
  for (const tool of tools) {
    if (tool.name.trim() === "" || Object.hasOwn(entries, tool.name)) continue;
    const risk = classifyTool(tool);
    entries[tool.name] = { rules: [risk.recommendedRule] };
    const lines = [
      ...(tool.description ? [commentText(tool.description)] : []),
      ` risk: ${risk.category} (${risk.level}); ${risk.evidence.join("; ")}`,
    ];
    verdicts.set(tool.name, lines);
  }
  const doc = new Document({
    version: "1",
    ...(options.description ? { description: options.description } : {}),
    default: "deny",
    audit: { arguments: "redacted" },
    tools: entries,
  });
  doc.commentBefore =
    " Starter policy generated from the server's tools/list. Review every rule before enforcing it.";
  const toolsNode = doc.get("tools", true);
  if (isMap(toolsNode)) {
    for (const pair of toolsNode.items) {
      const key = pair.key;
      if (!isScalar(key)) continue;
      const name = String(key.value);
      if (name.includes("*") || name.includes("?")) key.type = "QUOTE_DOUBLE";
      key.commentBefore = (verdicts.get(name) ?? []).join("\n");
    }
  }
  return doc.toString({ lineWidth: 0 });
}
