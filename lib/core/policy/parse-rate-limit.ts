import type { CalendarUnit, RateLimit } from "./types";
import type { PolicyReader, ReaderNode } from "./yaml-reader";

const UNITS: readonly CalendarUnit[] = ["minute", "hour", "day"];
const MAX_ROLLING_SECONDS = 31 * 86_400;
const isPositiveInteger = (v: unknown): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v > 0;

/** `N/minute|hour|day` (calendar, UTC) or `{max, window}` (rolling, seconds). */
export function parseRateLimit(r: PolicyReader, path: string, node: ReaderNode): RateLimit | null {
  const text = r.scalar(node);
  if (typeof text === "string") {
    const m = /^\s*([^/\s]+)\s*\/\s*([^/\s]+)\s*$/.exec(text);
    if (!m) {
      r.error(
        path,
        node,
        'rate_limit must look like "N/minute", "N/hour" or "N/day", or {max, window}',
      );
      return null;
    }
    const countText = m[1] ?? "";
    const unit = m[2] ?? "";
    let ok = true;
    const count = /^\d+$/.test(countText) ? Number(countText) : Number.NaN;
    if (!isPositiveInteger(count)) {
      r.error(path, node, `rate_limit count must be a positive integer, got "${countText}"`);
      ok = false;
    }
    if (!(UNITS as readonly string[]).includes(unit)) {
      r.error(path, node, `rate_limit window must be "minute", "hour", or "day", got "${unit}"`);
      ok = false;
    }
    return ok ? { kind: "calendar", count, unit: unit as CalendarUnit } : null;
  }
  if (r.isMap(node)) {
    const entries = r.entries(path, node, ["max", "window"], "rate_limit");
    if (!entries) return null;
    const max = r.scalar(entries.find((e) => e.key === "max")?.value ?? null);
    const window = r.scalar(entries.find((e) => e.key === "window")?.value ?? null);
    let ok = true;
    if (!isPositiveInteger(max)) {
      r.error(`${path}.max`, node, "rate_limit max must be a positive integer");
      ok = false;
    }
    if (!isPositiveInteger(window) || window > MAX_ROLLING_SECONDS) {
      r.error(
        `${path}.window`,
        node,
        `rate_limit window must be a positive whole number of seconds (at most ${MAX_ROLLING_SECONDS})`,
      );
      ok = false;
    }
    return ok ? { kind: "rolling", max: max as number, windowSeconds: window as number } : null;
  }
  r.error(
    path,
    node,
    'rate_limit must look like "N/minute", "N/hour" or "N/day", or {max, window}',
  );
  return null;
}
