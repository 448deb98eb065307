/**
 * Deterministic JSON (RFC 8785 in spirit): object keys sorted by code unit, no whitespace,
 * `undefined` members dropped, Dates as ISO strings. Hashes and fingerprints depend on it, so
 * its output must never change for the same value.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, new Set());
}

function serialize(value: unknown, seen: Set<object>): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "null";
    case "bigint":
      return value.toString();
    case "object":
      break;
    default:
      return "null";
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (seen.has(value)) throw new TypeError("canonicalJson: circular structure");
  seen.add(value);
  let out: string;
  if (Array.isArray(value)) {
    out = `[${value.map((v) => serialize(v, seen)).join(",")}]`;
  } else {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    out = `{${keys.map((k) => `${JSON.stringify(k)}:${serialize(obj[k], seen)}`).join(",")}}`;
  }
  seen.delete(value);
  return out;
}
