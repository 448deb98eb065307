import type { CounterReader, CounterWindow, Reservation } from "@/lib/core/policy";
import {
  addDecimal,
  type Decimal,
  formatDecimal,
  parseDecimal,
  subtractDecimal,
  ZERO,
} from "@/lib/core/policy/decimal";

type Series = { ats: number[]; sums: Decimal[] };

/**
 * Counters for a replay: what the draft itself admitted while replaying, in memory, in call
 * order. Each key keeps its times and running totals, so a window's sum is two binary searches.
 */
export class MemoryCounters {
  private readonly series = new Map<string, Series>();

  readonly reader: CounterReader = (key: string, window: CounterWindow): string => {
    const s = this.series.get(key);
    if (!s) return "0";
    const lo = window.kind === "calendar" ? window.start : window.from + 1;
    const hi = window.kind === "calendar" ? window.end : Number.MAX_SAFE_INTEGER;
    const a = firstAtOrAfter(s.ats, lo);
    const b = firstAtOrAfter(s.ats, hi);
    const upper = b > 0 ? (s.sums[b - 1] ?? ZERO) : ZERO;
    const lower = a > 0 ? (s.sums[a - 1] ?? ZERO) : ZERO;
    return formatDecimal(subtractDecimal(upper, lower));
  };

  record(reservations: readonly Reservation[], at: number): void {
    for (const r of reservations) {
      const amount = parseDecimal(r.amount);
      if (!amount) continue;
      let s = this.series.get(r.key);
      if (!s) this.series.set(r.key, (s = { ats: [], sums: [] }));
      // Rows from several processes can be a little out of time order: never step back.
      const last = s.ats[s.ats.length - 1];
      s.ats.push(last !== undefined && at < last ? last : at);
      s.sums.push(addDecimal(s.sums[s.sums.length - 1] ?? ZERO, amount));
    }
  }
}

function firstAtOrAfter(ats: readonly number[], t: number): number {
  let lo = 0;
  let hi = ats.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ats[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
