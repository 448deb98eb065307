const UNITS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const DURATION = /^([1-9]\d{0,6})(s|m|h|d)$/;

export const MAX_APPROVAL_TIMEOUT_MS = 7 * 86_400_000;
export const DEFAULT_APPROVAL_TIMEOUT_MS = 10 * 60_000;

/** `90s`, `10m`, `2h`, `1d` → milliseconds; null when malformed, zero or longer than 7 days. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * (UNITS[m[2] ?? ""] ?? 0);
  return ms > 0 && ms <= MAX_APPROVAL_TIMEOUT_MS ? ms : null;
}
