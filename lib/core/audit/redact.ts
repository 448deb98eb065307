import { mapOwnEntries } from "../json-safety";

export const VIEWER_MASK = "[REDACTED]";

/**
 * What a viewer sees of tool arguments: the shape (keys, list lengths) with every value
 * masked. Runs on the server, in the view mapper, so the values never reach the browser.
 */
export function redactForViewer(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (depth > 16) return VIEWER_MASK;
  if (Array.isArray(value)) return value.map((v) => redactForViewer(v, depth + 1));
  if (typeof value === "object") return mapOwnEntries(value, (v) => redactForViewer(v, depth + 1));
  return VIEWER_MASK;
}
