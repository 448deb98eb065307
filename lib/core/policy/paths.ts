export type ArgPath = { kind: "args"; text: string; segments: readonly string[] };
export type StatePath = { kind: "state"; text: string; entry: string; counter: string };
export type ParsedPath = ArgPath | StatePath;

/** The value a path resolves to when any segment is absent. */
export const MISSING: unique symbol = Symbol("missing");

const INDEX = /^(?:0|[1-9]\d*)$/;

/**
 * Parses `args.a.b`, `args.items.0`, `args["a.b"].c` (or single quotes) and
 * `state.<entry>.<counter>`; returns an error message for anything else.
 */
export function parsePath(text: string): ParsedPath | { error: string } {
  if (text.startsWith("state.")) {
    const rest = text.slice("state.".length);
    const dot = rest.lastIndexOf(".");
    if (dot <= 0 || dot === rest.length - 1) {
      return { error: `state path must look like "state.<tool>.<counter>", got "${text}"` };
    }
    return { kind: "state", text, entry: rest.slice(0, dot), counter: rest.slice(dot + 1) };
  }
  if (!text.startsWith("args.") && !text.startsWith("args[")) {
    return { error: `path must start with "args." or "state.", got "${text}"` };
  }
  const segments: string[] = [];
  let i = 4;
  while (i < text.length) {
    const c = text[i];
    if (c === ".") {
      let j = i + 1;
      while (j < text.length && text[j] !== "." && text[j] !== "[") j += 1;
      const segment = text.slice(i + 1, j);
      if (segment === "") return { error: `path "${text}" has an empty segment` };
      segments.push(segment);
      i = j;
    } else if (c === "[") {
      const quote = text[i + 1];
      if (quote !== '"' && quote !== "'") {
        return { error: `path "${text}": use args["key"] for keys containing dots` };
      }
      const close = text.indexOf(`${quote}]`, i + 2);
      if (close === -1) return { error: `path "${text}" has an unterminated [${quote}…${quote}]` };
      segments.push(text.slice(i + 2, close));
      i = close + 2;
    } else {
      return { error: `path "${text}" is malformed at character ${i + 1}` };
    }
  }
  if (segments.length === 0) return { error: `path "${text}" names no argument` };
  return { kind: "args", text, segments };
}

/**
 * Walks own properties only (never the prototype chain), and indexes lists by canonical
 * non-negative integers. `undefined` members count as missing.
 */
export function resolveArgPath(args: unknown, segments: readonly string[]): unknown {
  let current: unknown = args;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      if (!INDEX.test(segment)) return MISSING;
      const index = Number(segment);
      if (index >= current.length) return MISSING;
      current = current[index];
    } else if (typeof current === "object" && current !== null) {
      if (!Object.hasOwn(current, segment)) return MISSING;
      current = (current as Record<string, unknown>)[segment];
    } else {
      return MISSING;
    }
    if (current === undefined) return MISSING;
  }
  return current;
}
