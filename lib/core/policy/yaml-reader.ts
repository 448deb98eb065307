import {
  type Document,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
} from "yaml";

import { unknownKeyMessage } from "./suggest";
import type { PolicyIssue } from "./types";

/**
 * A node of the document being validated. Opaque to the validator: only the reader that
 * produced it inspects it (a `yaml` node with positions, or a plain JS value without).
 */
export type ReaderNode = unknown;

export type MapEntry = { key: string; keyNode: ReaderNode; value: ReaderNode };

/** What the policy validator needs from a parsed document; issues collect on the reader. */
export interface PolicyReader {
  readonly errors: PolicyIssue[];
  readonly warnings: PolicyIssue[];
  error(path: string, node: ReaderNode, message: string): void;
  warn(path: string, node: ReaderNode, message: string): void;
  isNull(node: ReaderNode): boolean;
  isMap(node: ReaderNode): boolean;
  isSeq(node: ReaderNode): boolean;
  /** The value of a scalar node, `undefined` for collections and absent nodes. */
  scalar(node: ReaderNode): unknown;
  /** The node as plain JSON-like data; undefined (and an error) when it cannot be expanded. */
  toJS(path: string, node: ReaderNode): unknown;
  /** Reports duplicate keys anywhere inside a free-form value. */
  checkDuplicateKeys(path: string, node: ReaderNode): void;
  /**
   * The entries of a mapping, reporting non-mappings and unknown keys (with a suggestion).
   * Returns null when `node` is not a mapping.
   */
  entries(
    path: string,
    node: ReaderNode,
    valid: readonly string[],
    what: string,
  ): MapEntry[] | null;
  /** The items of a sequence; null (and an error) when `node` is not a sequence. */
  sequence(path: string, node: ReaderNode, what: string): ReaderNode[] | null;
}

const MAX_ALIAS_COUNT = 100;

/** Reads a `yaml` Document and reports every issue with its line and column. */
export class YamlReader implements PolicyReader {
  readonly errors: PolicyIssue[] = [];
  readonly warnings: PolicyIssue[] = [];

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  position(node: ReaderNode, offset?: number): { line?: number; column?: number } {
    const at = offset ?? (isNode(node) ? node.range?.[0] : undefined);
    if (at === undefined) return {};
    const { line, col } = this.lines.linePos(at);
    return { line, column: col };
  }

  error(path: string, node: ReaderNode, message: string): void {
    this.errors.push({ path, ...this.position(node), message });
  }

  warn(path: string, node: ReaderNode, message: string): void {
    this.warnings.push({ path, ...this.position(node), message });
  }

  deref(value: unknown): Node | null {
    if (isAlias(value)) {
      const target = value.resolve(this.doc);
      return isNode(target) ? target : null;
    }
    return isNode(value) ? value : null;
  }

  /** Aliases expand with a cap against alias bombs. */
  toJS(path: string, node: ReaderNode): unknown {
    if (!isNode(node)) return null;
    try {
      return node.toJS(this.doc, { maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      if (!(err instanceof ReferenceError)) throw err;
      this.error(path, node, `value expands too many aliases (at most ${MAX_ALIAS_COUNT})`);
      return undefined;
    }
  }

  /** The parser runs without uniqueKeys, so the walker reports duplicates itself. */
  checkDuplicateKeys(path: string, node: ReaderNode): void {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = this.deref(pair.key);
        const name = isScalar(key) ? String(key.value) : null;
        if (name !== null && seen.has(name))
          this.error(join(path, name), key, `duplicate key "${name}"`);
        if (name !== null) seen.add(name);
        this.checkDuplicateKeys(join(path, name ?? "?"), this.deref(pair.value));
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => this.checkDuplicateKeys(`${path}[${i}]`, this.deref(item)));
    }
  }

  isNull(node: ReaderNode): boolean {
    return node === null || node === undefined || (isScalar(node) && node.value === null);
  }

  isMap(node: ReaderNode): boolean {
    return isMap(node);
  }

  isSeq(node: ReaderNode): boolean {
    return isSeq(node);
  }

  scalar(node: ReaderNode): unknown {
    return isScalar(node) ? node.value : undefined;
  }

  entries(
    path: string,
    node: ReaderNode,
    valid: readonly string[],
    what: string,
  ): MapEntry[] | null {
    if (!isMap(node)) {
      this.error(path, node, `${what} must be a mapping`);
      return null;
    }
    const out: MapEntry[] = [];
    const seen = new Set<string>();
    for (const pair of node.items) {
      const keyNode = this.deref(pair.key);
      const key = isScalar(keyNode) ? keyNode.value : undefined;
      if (typeof key !== "string" && typeof key !== "number") {
        this.error(path, keyNode ?? node, `${what} keys must be strings`);
        continue;
      }
      const name = String(key);
      if (keyNode === null) continue;
      if (seen.has(name)) {
        this.error(join(path, name), keyNode, `duplicate key "${name}"`);
        continue;
      }
      seen.add(name);
      if (valid.length > 0 && !valid.includes(name)) {
        this.error(join(path, name), keyNode, unknownKeyMessage(name, valid));
        continue;
      }
      out.push({ key: name, keyNode, value: this.deref(pair.value) });
    }
    return out;
  }

  sequence(path: string, node: ReaderNode, what: string): ReaderNode[] | null {
    if (!isSeq(node)) {
      this.error(path, node, `${what} must be a list`);
      return null;
    }
    return node.items.map((item) => this.deref(item)).filter((n): n is Node => n !== null);
  }
}

export function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}
