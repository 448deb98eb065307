import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";

export type RuleLocation = { tool: string; index: number; startLine: number; endLine: number };

/**
 * Where a rule sits in a policy's YAML (1-based, inclusive lines), found by the name the engine
 * gives it: its `name`, or `<tool>#<index>` when it has none. Null when the text does not
 * contain it (a grant's limit, or a rule from another version).
 */
export function locateRule(yamlText: string, ruleName: string): RuleLocation | null {
  const lines = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter: lines });
  const tools = isMap(doc.contents) ? doc.contents.get("tools", true) : null;
  if (!isMap(tools)) return null;
  for (const pair of tools.items) {
    const tool = isScalar(pair.key) ? String(pair.key.value) : null;
    if (tool === null || !isMap(pair.value)) continue;
    const rules = pair.value.get("rules", true);
    if (!isSeq(rules)) continue;
    for (const [index, item] of rules.items.entries()) {
      const explicit = isMap(item) ? item.get("name") : null;
      const name = typeof explicit === "string" && explicit.trim() ? explicit : `${tool}#${index}`;
      if (
        name !== ruleName ||
        !item ||
        typeof item !== "object" ||
        !("range" in item) ||
        !item.range
      )
        continue;
      const [start, , end] = item.range as [number, number, number];
      const startLine = lines.linePos(start).line;
      let endLine = lines.linePos(Math.max(start, end - 1)).line;
      while (endLine > startLine && (yamlText.split("\n")[endLine - 1] ?? "").trim() === "")
        endLine -= 1;
      return { tool, index, startLine, endLine };
    }
  }
  return null;
}
