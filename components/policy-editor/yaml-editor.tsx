"use client";

import { yaml } from "@codemirror/lang-yaml";
import { type Diagnostic, linter, lintGutter } from "@codemirror/lint";
import type { Text } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import CodeMirror from "@uiw/react-codemirror";
import { useMemo } from "react";

import type { PolicyIssueView, PolicyValidationView } from "@/lib/core/policies/views";

const LINT_DELAY_MS = 400;

/** The document range an issue points at: from its line:column to the end of that line. */
export function issueRange(doc: Text, issue: PolicyIssueView): { from: number; to: number } {
  if (!issue.line) return { from: 0, to: Math.min(doc.length, doc.line(1).to) };
  const line = doc.line(Math.min(Math.max(issue.line, 1), doc.lines));
  const from = Math.min(line.from + Math.max((issue.column ?? 1) - 1, 0), line.to);
  return { from, to: Math.max(from, line.to) };
}

const theme = EditorView.theme({
  "&": { fontSize: "13px", height: "100%" },
  ".cm-scroller": {
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
    lineHeight: "1.6",
  },
  ".cm-gutters": { backgroundColor: "#f8fafc", borderRight: "1px solid #e2e8f0", color: "#94a3b8" },
  ".cm-activeLineGutter": { backgroundColor: "#eef2ff" },
  ".cm-activeLine": { backgroundColor: "#f8fafc" },
  "&.cm-focused": { outline: "none" },
});

type Validate = (text: string, signal: AbortSignal) => Promise<PolicyValidationView>;
type OnValidated = (result: PolicyValidationView | { failed: string }, text: string) => void;

function editorExtensions(validate: Validate, onValidated: OnValidated, label: string) {
  let inflight: AbortController | null = null;
  const source = async (view: EditorView): Promise<Diagnostic[]> => {
    const text = view.state.doc.toString();
    inflight?.abort();
    const controller = new AbortController();
    inflight = controller;
    try {
      const result = await validate(text, controller.signal);
      if (controller.signal.aborted) return [];
      onValidated(result, text);
      const doc = view.state.doc;
      return [
        ...result.errors.map((e): Diagnostic => ({
          ...issueRange(doc, e),
          severity: "error",
          message: e.path ? `${e.path}: ${e.message}` : e.message,
        })),
        ...result.warnings.map((w): Diagnostic => ({
          ...issueRange(doc, w),
          severity: "warning",
          message: w.path ? `${w.path}: ${w.message}` : w.message,
        })),
      ];
    } catch (err) {
      if (!controller.signal.aborted)
        onValidated({ failed: err instanceof Error ? err.message : "Validation failed" }, text);
      return [];
    }
  };
  return [
    yaml(),
    linter(source, { delay: LINT_DELAY_MS }),
    lintGutter(),
    theme,
    EditorView.lineWrapping,
    EditorView.contentAttributes.of({ "aria-label": label }),
  ];
}

/**
 * CodeMirror 6 with YAML highlighting and live validation: `validate` runs (debounced by the
 * linter) on every change, its issues become editor diagnostics, and `onValidated` receives
 * the whole result for the problems list.
 */
export function YamlEditor({
  value,
  onChange,
  readOnly,
  validate,
  onValidated,
  label,
}: {
  value: string;
  onChange: (v: string) => void;
  readOnly: boolean;
  /** Keep it stable (useCallback): a new function rebuilds the editor's extensions. */
  validate: Validate;
  onValidated: OnValidated;
  label: string;
}) {
  const extensions = useMemo(
    () => editorExtensions(validate, onValidated, label),
    [validate, onValidated, label],
  );

  return (
    <CodeMirror
      value={value}
      onChange={onChange}
      extensions={extensions}
      readOnly={readOnly}
      editable={!readOnly}
      basicSetup={{
        foldGutter: true,
        highlightActiveLine: !readOnly,
        highlightActiveLineGutter: !readOnly,
        autocompletion: false,
      }}
      minHeight="28rem"
      maxHeight="70vh"
      className="overflow-hidden rounded-lg ring-1 ring-slate-200"
    />
  );
}
