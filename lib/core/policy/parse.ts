import { LineCounter, parseDocument } from "yaml";

import { isGlob } from "./glob";
import { checkCounterReads, type CounterRead, type EntryContext, parseRule } from "./parse-rule";
import type { AuditArgumentsMode, Policy, PolicyIssue, Posture, Rule, ToolEntry } from "./types";
import { loadPlain, PlainReader } from "./plain-reader";
import { type PolicyReader, type ReaderNode, YamlReader } from "./yaml-reader";

export type ParseResult =
  { ok: true; policy: Policy; warnings: PolicyIssue[] } | { ok: false; errors: PolicyIssue[] };

const TOP_KEYS = ["version", "description", "default", "hide", "audit", "tools"] as const;
const AUDIT_MODES: readonly AuditArgumentsMode[] = ["full", "redacted", "hash"];
export const MAX_POLICY_BYTES = 1_048_576;
const MAX_SYNTAX_ERRORS = 10;

/**
 * Parses and validates a policy YAML document. Never throws: every problem (YAML syntax,
 * duplicate keys, unknown keys, bad values) is returned at once with its location.
 */
export function parsePolicy(text: string): ParseResult {
  if (text.length > MAX_POLICY_BYTES) {
    return {
      ok: false,
      errors: [{ path: "", message: `policy is larger than ${MAX_POLICY_BYTES} bytes` }],
    };
  }
  return parseWithoutPositions(text) ?? parseWithPositions(text);
}

/**
 * The fast path: plain data from js-yaml, validated without positions. Returns null unless the
 * policy is valid with no warnings, because every issue must be reported with its location.
 * Exported for the tests that compare both paths.
 */
export function parseWithoutPositions(text: string): ParseResult | null {
  const loaded = loadPlain(text);
  if (!loaded) return null;
  const result = validate(new PlainReader(), loaded.data);
  return result.ok && result.warnings.length === 0 ? result : null;
}

/** The `yaml` Document path: slower, and every issue carries its line and column. */
export function parseWithPositions(text: string): ParseResult {
  const lines = new LineCounter();
  // Duplicate keys are reported by the walker: the library's own check is quadratic per mapping.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  const r = new YamlReader(doc, lines);

  let fatal = false;
  for (const e of doc.errors) {
    fatal = true;
    r.errors.push({
      path: "",
      ...r.position(null, e.pos[0]),
      message: `YAML syntax error: ${firstLine(e.message)}`,
    });
  }
  for (const w of doc.warnings) {
    r.warnings.push({ path: "", ...r.position(null, w.pos[0]), message: firstLine(w.message) });
  }
  // One syntax slip makes the YAML parser report a cascade; the first few locate it.
  if (fatal) return { ok: false, errors: r.errors.slice(0, MAX_SYNTAX_ERRORS) };
  return validate(r, r.deref(doc.contents));
}

function validate(r: PolicyReader, root: ReaderNode): ParseResult {
  if (r.isNull(root)) {
    return {
      ok: false,
      errors: [{ path: "", message: 'policy is empty: it needs at least `version: "1"`' }],
    };
  }
  const entries = r.entries("", root, TOP_KEYS, "policy") ?? [];
  const get = (k: string) => entries.find((e) => e.key === k);

  const versionEntry = get("version");
  const version = versionEntry ? r.scalar(versionEntry.value) : undefined;
  if (version !== "1" && version !== 1) {
    r.error(
      "version",
      versionEntry?.value ?? root,
      `version must be "1"${versionEntry ? "" : " (it is missing)"}`,
    );
  }

  let description: string | null = null;
  const descriptionEntry = get("description");
  if (descriptionEntry && !r.isNull(descriptionEntry.value)) {
    const raw = r.scalar(descriptionEntry.value);
    if (typeof raw === "string") description = raw;
    else r.error("description", descriptionEntry.value, "description must be a string");
  }

  let posture: Posture = "allow";
  const defaultEntry = get("default");
  if (defaultEntry) {
    const raw = r.scalar(defaultEntry.value);
    if (raw === "allow" || raw === "deny") posture = raw;
    else r.error("default", defaultEntry.value, 'default must be "allow" or "deny"');
  }

  const hide = parseHide(r, get("hide")?.value ?? null, get("hide") !== undefined);
  const auditEntry = get("audit");
  let auditArguments: AuditArgumentsMode = "redacted";
  if (auditEntry) {
    const audit = r.entries("audit", auditEntry.value, ["arguments"], "audit") ?? [];
    const args = audit.find((e) => e.key === "arguments");
    if (args) {
      const raw = r.scalar(args.value);
      if (typeof raw === "string" && (AUDIT_MODES as readonly string[]).includes(raw)) {
        auditArguments = raw as AuditArgumentsMode;
      } else {
        r.error(
          "audit.arguments",
          args.value,
          'audit.arguments must be "full", "redacted" or "hash"',
        );
      }
    }
  }

  const toolsEntry = get("tools");
  const tools = toolsEntry && !r.isNull(toolsEntry.value) ? parseTools(r, toolsEntry.value) : [];

  if (r.errors.length > 0) return { ok: false, errors: byPosition(r.errors) };
  return {
    ok: true,
    policy: {
      version: "1",
      description,
      default: posture,
      hide,
      audit: { arguments: auditArguments },
      tools,
    },
    warnings: byPosition(r.warnings),
  };
}

function byPosition(issues: PolicyIssue[]): PolicyIssue[] {
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort(
      (a, b) =>
        (a.issue.line ?? 0) - (b.issue.line ?? 0) ||
        (a.issue.column ?? 0) - (b.issue.column ?? 0) ||
        a.i - b.i,
    )
    .map(({ issue }) => issue);
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}

function parseHide(r: PolicyReader, node: ReaderNode, present: boolean): string[] {
  if (!present || r.isNull(node)) return [];
  const items = r.sequence("hide", node, "hide");
  if (!items) return [];
  const out: string[] = [];
  items.forEach((item, i) => {
    const raw = r.scalar(item);
    if (typeof raw !== "string" || raw.trim() === "") {
      r.error(
        `hide[${i}]`,
        item,
        `hide[${i}]: entry must not be empty${typeof raw === "string" || raw == null ? "" : " (expected a tool name)"}`,
      );
    } else if (out.includes(raw)) {
      r.error(`hide[${i}]`, item, `hide: duplicate entry "${raw}"`);
    } else {
      out.push(raw);
    }
  });
  return out;
}

function parseTools(r: PolicyReader, node: ReaderNode): ToolEntry[] {
  const entries = r.entries("tools", node, [], "tools");
  if (!entries) return [];
  const out: ToolEntry[] = [];
  const reads: CounterRead[] = [];
  const declared = new Map<string, ReadonlySet<string>>();
  for (const e of entries) {
    const path = `tools.${e.key}`;
    if (e.key.trim() === "") {
      r.error(path, e.keyNode, "tool name must not be empty");
      continue;
    }
    const kind = e.key === "*" ? "all" : isGlob(e.key) ? "glob" : "exact";
    const context: EntryContext = {
      key: e.key,
      stateName: kind === "all" ? "_global" : e.key,
      counters: new Set(),
      reads,
    };
    declared.set(context.stateName, context.counters);
    const rules: Rule[] = [];
    if (!r.isNull(e.value)) {
      const body = r.entries(path, e.value, ["rules"], `tool entry "${e.key}"`) ?? [];
      const rulesEntry = body.find((b) => b.key === "rules");
      if (rulesEntry && !r.isNull(rulesEntry.value)) {
        const items = r.sequence(`${path}.rules`, rulesEntry.value, "rules") ?? [];
        const names = new Set<string>();
        items.forEach((item, i) => {
          const rule = parseRule(r, `${path}.rules[${i}]`, item, context, i);
          if (!rule) return;
          if (names.has(rule.name))
            r.warn(`${path}.rules[${i}].name`, item, `duplicate rule name "${rule.name}"`);
          names.add(rule.name);
          rules.push(rule);
        });
      }
    }
    out.push({ key: e.key, kind, rules });
  }
  checkCounterReads(r, reads, declared);
  return out;
}
