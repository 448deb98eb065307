import type { CalendarUnit } from "./types";

/**
 * The span a counter is read over. Calendar windows are UTC-aligned `[start, end)`; rolling
 * windows cover `(from, to]`, i.e. amounts recorded after `from` and at or before `to`.
 */
export type CounterWindow =
  | { kind: "calendar"; unit: CalendarUnit; start: number; end: number }
  | { kind: "rolling"; windowMs: number; from: number; to: number };

export const UNIT_MS: Readonly<Record<CalendarUnit, number>> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/** Epoch milliseconds carry no leap seconds, so flooring aligns minutes, hours and days to UTC. */
export function calendarWindow(unit: CalendarUnit, now: number): CounterWindow {
  const size = UNIT_MS[unit];
  const start = Math.floor(now / size) * size;
  return { kind: "calendar", unit, start, end: start + size };
}

export function rollingWindow(windowMs: number, now: number): CounterWindow {
  return { kind: "rolling", windowMs, from: now - windowMs, to: now };
}

/** Whole seconds (at least 1) from `now` until `at`. */
export function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}
