import { FAILSAFE_SCHEMA, load, Type } from "js-yaml";

import { unknownKeyMessage } from "./suggest";
import type { PolicyIssue } from "./types";
import { join, type MapEntry, type PolicyReader, type ReaderNode } from "./yaml-reader";

// The YAML 1.2 core schema exactly as the `yaml` library resolves plain scalars, so both
// parsers give every scalar the same value.
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

const CORE_SCHEMA = FAILSAFE_SCHEMA.extend({
  implicit: [
    new Type("tag:yaml.org,2002:null", {
      kind: "scalar",
      resolve: (data: unknown) => data === null || (typeof data === "string" && NULL.test(data)),
      construct: () => null,
    }),
    new Type("tag:yaml.org,2002:bool", {
      kind: "scalar",
      resolve: (data: unknown) => typeof data === "string" && BOOL.test(data),
      construct: (data: string) => data[0] === "t" || data[0] === "T",
    }),
    new Type("tag:yaml.org,2002:int", {
      kind: "scalar",
      resolve: (data: unknown) =>
        typeof data === "string" && (INT_OCT.test(data) || INT.test(data) || INT_HEX.test(data)),
      construct: (data: string) =>
        INT_OCT.test(data)
          ? parseInt(data.slice(2), 8)
          : INT_HEX.test(data)
            ? parseInt(data.slice(2), 16)
            : parseInt(data, 10),
    }),
    new Type("tag:yaml.org,2002:float", {
      kind: "scalar",
      resolve: (data: unknown) =>
        typeof data === "string" &&
        (FLOAT_NAN.test(data) || FLOAT_EXP.test(data) || FLOAT.test(data)),
      construct: (data: string) =>
        FLOAT_NAN.test(data)
          ? data.slice(-3).toLowerCase() === "nan"
            ? Number.NaN
            : data.startsWith("-")
              ? Number.NEGATIVE_INFINITY
              : Number.POSITIVE_INFINITY
          : parseFloat(data),
    }),
  ],
});

/**
 * Constructs the plain loader does not read the way the `yaml` path does, or that need the
 * `yaml` path's checks: anchors and aliases (alias-bomb cap), tags, explicit `?` keys,
 * collections used as keys, and directives (which may select another YAML version).
 * A match is conservative: it only costs the slower path.
 */
const NEEDS_YAML_PATH = /(?:^|[\s[{,])[&*!?]|^%|[\]}][ \t]*:(?:\s|$)/m;

/** Keys a JS object cannot carry the way the `yaml` path reads them (type, order or length). */
const AMBIGUOUS_KEY = /^(?:true|false|null|__proto__|\d+)$/;
const MAX_IMPLICIT_KEY_LENGTH = 1024;
const NOT_PLAIN = "not readable without positions";

/**
 * Loads `text` into plain data when it uses only constructs that read the same in both
 * parsers; `undefined` when the text must go through the `yaml` path.
 */
export function loadPlain(text: string): { data: unknown } | undefined {
  if (NEEDS_YAML_PATH.test(text)) return undefined;
  try {
    return { data: load(text, { schema: CORE_SCHEMA }) };
  } catch {
    return undefined;
  }
}

/**
 * Reads plain data (from `loadPlain`) without positions. Any problem it finds, including a
 * key it cannot read faithfully, is an error: the caller then re-reads the text with
 * `YamlReader`, which reports every issue with its location.
 */
export class PlainReader implements PolicyReader {
  readonly errors: PolicyIssue[] = [];
  readonly warnings: PolicyIssue[] = [];

  error(path: string, _node: ReaderNode, message: string): void {
    this.errors.push({ path, message });
  }

  warn(path: string, _node: ReaderNode, message: string): void {
    this.warnings.push({ path, message });
  }

  isNull(node: ReaderNode): boolean {
    return node === null || node === undefined;
  }

  isMap(node: ReaderNode): boolean {
    return typeof node === "object" && node !== null && !Array.isArray(node);
  }

  isSeq(node: ReaderNode): boolean {
    return Array.isArray(node);
  }

  scalar(node: ReaderNode): unknown {
    return node === null || typeof node !== "object" ? node : undefined;
  }

  toJS(_path: string, node: ReaderNode): unknown {
    return node === undefined ? null : node;
  }

  checkDuplicateKeys(path: string, node: ReaderNode): void {
    if (Array.isArray(node)) {
      node.forEach((item, i) => this.checkDuplicateKeys(`${path}[${i}]`, item));
    } else if (this.isMap(node)) {
      for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
        if (this.ambiguous(key)) this.error(join(path, key), node, NOT_PLAIN);
        this.checkDuplicateKeys(join(path, key), value);
      }
    }
  }

  entries(
    path: string,
    node: ReaderNode,
    valid: readonly string[],
    what: string,
  ): MapEntry[] | null {
    if (!this.isMap(node)) {
      this.error(path, node, `${what} must be a mapping`);
      return null;
    }
    const out: MapEntry[] = [];
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (this.ambiguous(key)) {
        this.error(join(path, key), node, NOT_PLAIN);
      } else if (valid.length > 0 && !valid.includes(key)) {
        this.error(join(path, key), node, unknownKeyMessage(key, valid));
      } else {
        out.push({ key, keyNode: node, value });
      }
    }
    return out;
  }

  sequence(path: string, node: ReaderNode, what: string): ReaderNode[] | null {
    if (!Array.isArray(node)) {
      this.error(path, node, `${what} must be a list`);
      return null;
    }
    return node;
  }

  private ambiguous(key: string): boolean {
    return AMBIGUOUS_KEY.test(key) || key.length > MAX_IMPLICIT_KEY_LENGTH;
  }
}
