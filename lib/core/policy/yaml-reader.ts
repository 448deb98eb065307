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

export type MapEntry = { key: string; keyNode: Node; value: Node | null };

const MAX_ALIAS_COUNT = 100;

/** Collects issues with YAML positions while the parser walks the document tree. */
export class YamlReader {
  readonly errors: PolicyIssue[] = [];
  readonly warnings: PolicyIssue[] = [];

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  position(node: Node | null | undefined, offset?: number): { line?: number; column?: number } {
    const at = offset ?? node?.range?.[0];
    if (at === undefined) return {};
    const { line, col } = this.lines.linePos(at);
    return { line, column: col };
  }

  error(path: string, node: Node | null | undefined, message: string): void {
    this.errors.push({ path, ...this.position(node), message });
  }

  warn(path: string, node: Node | null | undefined, message: string): void {
    this.warnings.push({ path, ...this.position(node), message });
  }

  deref(value: unknown): Node | null {
    if (isAlias(value)) {
      const target = value.resolve(this.doc);
      return isNode(target) ? target : null;
    }
    return isNode(value) ? value : null;
  }

  /** The node as plain JSON-like data; aliases expand with a cap against alias bombs. */
  toJS(node: Node | null): unknown {
    if (node === null) return null;
    return node.toJS(this.doc, { maxAliasCount: MAX_ALIAS_COUNT });
  }

  /** Reports duplicate keys anywhere inside a free-form value (the parser runs without uniqueKeys). */
  checkDuplicateKeys(path: string, node: Node | null): void {
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

  isNull(node: Node | null): boolean {
    return node === null || (isScalar(node) && node.value === null);
  }

  scalar(node: Node | null): unknown {
    return isScalar(node) ? node.value : undefined;
  }

  /**
   * The entries of a mapping, reporting non-mappings and unknown keys (with a suggestion).
   * Returns null when `node` is not a mapping.
   */
  entries(
    path: string,
    node: Node | null,
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

  sequence(path: string, node: Node | null, what: string): Node[] | null {
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
