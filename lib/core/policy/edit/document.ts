import { diffArrays } from "diff";
import { type Document, isMap, parseDocument, type ToStringOptions } from "yaml";

import { invalid } from "../../errors";

/** Parses a policy draft into a document model that keeps comments, blank lines and quoting. */
export function openDocument(text: string): Document {
  const doc = parseDocument(text.trim() === "" ? 'version: "1"\ndefault: deny\n' : text, {
    uniqueKeys: false,
  });
  if (doc.errors.length > 0)
    throw invalid(`The YAML has syntax errors: ${doc.errors[0]?.message.split("\n")[0] ?? ""}`);
  if (!isMap(doc.contents)) throw invalid("The policy must be a YAML mapping");
  return doc;
}

/** Serialisation options that follow the original file's layout where the library allows it. */
function styleOf(original: string): ToStringOptions {
  const indents = original
    .split("\n")
    .filter((l) => /^ +[^ \-#]/.test(l))
    .map((l) => l.length - l.trimStart().length);
  const indent = indents.length > 0 ? Math.min(...indents) : 2;
  const padded = (original.match(/[[{] \S/g) ?? []).length;
  const tight = (original.match(/[[{][^\s\]}]/g) ?? []).length;
  return {
    lineWidth: 0,
    // New entries with no rules print as `tool:`, as operators write them.
    nullStr: "",
    indent: indent >= 2 && indent <= 8 ? indent : 2,
    // A block sequence written at its key's own indentation (`key:\n- item`).
    indentSeq: !/^( *)[^ #\n-][^\n]*:[ \t]*\n\1- /m.test(original),
    flowCollectionPadding: padded >= tight,
  };
}

/** A line as the serialiser would print it: one space before a comment, no padding in brackets. */
function shape(line: string): string {
  return line
    .trimEnd()
    .replace(/[ \t]+#/, " #")
    .replace(/([[{]) +/g, "$1")
    .replace(/ +([\]}])/g, "$1");
}

/**
 * The serialiser normalises spacing (comment alignment, bracket padding). Lines whose content is
 * unchanged get their original text back, so an edit's diff shows only what it changed. Kept only
 * when the result means exactly the same as the serialised document.
 */
function keepOriginalLines(original: string, edited: string): string {
  const before = original.split("\n");
  const after = edited.split("\n");
  const lines: string[] = [];
  let b = 0;
  let a = 0;
  for (const part of diffArrays(before.map(shape), after.map(shape))) {
    const n = part.value.length;
    if (part.removed) b += n;
    else if (part.added) lines.push(...after.slice(a, (a += n)));
    else {
      lines.push(...before.slice(b, b + n));
      b += n;
      a += n;
    }
  }
  const restored = lines.join("\n");
  return sameMeaning(restored, edited) ? restored : edited;
}

function sameMeaning(a: string, b: string): boolean {
  const x = parseDocument(a, { uniqueKeys: false });
  const y = parseDocument(b, { uniqueKeys: false });
  if (x.errors.length > 0 || y.errors.length > 0) return false;
  return JSON.stringify(x.toJS()) === JSON.stringify(y.toJS());
}

/** The document as text in the original file's style, with unchanged lines exactly as they were. */
export function serialise(doc: Document, original: string): string {
  const edited = doc.toString(styleOf(original));
  return original.trim() === "" ? edited : keepOriginalLines(original, edited);
}
