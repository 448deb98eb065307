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
  entries(path: string, node: Node | null, valid: readonly string[], what: string): MapEntry[] | null {
    if (!isMap(node)) {
      this.error(path, node, `${what} must be a mapping`);
      return null;
    }
    const out: MapEntry[] = [];
    for (const pair of node.items) {
      const keyNode = this.deref(pair.key);
      const key = isScalar(keyNode) ? keyNode.value : undefined;
      if (typeof key !== "string" && typeof key !== "number") {
        this.error(path, keyNode ?? node, `${what} keys must be strings`);
        continue;
      }
      const name = String(key);
      if (keyNode === null) continue;
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

/** Builds the dotted/indexed location of the innermost node containing `offset`. */
export function pathAtOffset(root: unknown, offset: number): string {
  let path = "";
  let node: unknown = root;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => {
        const k = isNode(p.key) ? p.key.range : undefined;
        const v = isNode(p.value) ? p.value.range : undefined;
        const start = k?.[0] ?? v?.[0];
        const end = v?.[2] ?? k?.[2];
        return start !== undefined && end !== undefined && offset >= start && offset <= end;
      });
      if (!pair) return path;
      const k = isScalar(pair.key) ? String(pair.key.value) : "?";
      path = join(path, k);
      if (isNode(pair.key) && pair.key.range && offset <= pair.key.range[2]) return path;
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => {
        const r = isNode(item) ? item.range : undefined;
        return r !== undefined && r !== null && offset >= r[0] && offset <= r[2];
      });
      if (index === -1) return path;
      path = `${path}[${index}]`;
      node = node.items[index];
    } else {
      return path;
    }
  }
}
