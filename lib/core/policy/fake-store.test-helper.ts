import { addDecimal, type Decimal, formatDecimal, parseDecimal, ZERO } from "./decimal";
import type { CounterReader, Decision, EvaluateInput } from "./decision";
import { evaluate } from "./evaluate";
import { loadPolicy } from "./load";
import type { PolicySnapshot } from "./snapshot";
import type { CounterWindow } from "./windows";

type Entry = { key: string; at: number; amount: Decimal };

const inWindow = (at: number, w: CounterWindow) =>
  w.kind === "calendar" ? at >= w.start && at < w.end : at > w.from && at <= w.to;

/** In-memory counter store with the semantics the database store must have. */
export class FakeCounterStore {
  readonly recorded: Entry[] = [];
  readonly reads: { key: string; window: CounterWindow }[] = [];
  /** How many entries the engine pulled from `entries` iterators (it should stop early). */
  pulled = 0;

  readonly reader: CounterReader = Object.assign(
    (key: string, window: CounterWindow) => {
      this.reads.push({ key, window });
      return formatDecimal(this.sum(key, window));
    },
    { entries: (key: string, window: CounterWindow) => this.walk(key, window) },
  );

  /** The window's entries oldest first, lazily, like the database store's index walk. */
  private *walk(key: string, window: CounterWindow) {
    const inside = this.recorded
      .filter((e) => e.key === key && inWindow(e.at, window))
      .sort((a, b) => a.at - b.at);
    for (const e of inside) {
      this.pulled += 1;
      yield { at: e.at, amount: formatDecimal(e.amount) };
    }
  }

  /** Same reader without `entries`, for the upper-bound retry-after path. */
  readonly plainReader: CounterReader = (key, window) => formatDecimal(this.sum(key, window));

  sum(key: string, window: CounterWindow): Decimal {
    return this.recorded
      .filter((e) => e.key === key && inWindow(e.at, window))
      .reduce((total, e) => addDecimal(total, e.amount), ZERO);
  }

  /** Writes an admitted decision's reservations, as the caller's transaction would. */
  commit(decision: Decision, at: number): void {
    if (decision.kind !== "allow") return;
    for (const r of decision.reservations) {
      const amount = parseDecimal(r.amount);
      if (!amount) throw new Error(`bad amount ${r.amount}`);
      this.recorded.push({ key: r.key, at, amount });
    }
  }
}

export function snapshotOf(yaml: string): PolicySnapshot {
  const loaded = loadPolicy(yaml);
  if (!loaded.ok) throw new Error(`policy did not load: ${JSON.stringify(loaded.errors)}`);
  return loaded.snapshot;
}

export type CallOptions = Partial<Omit<EvaluateInput, "counters">> & { store?: FakeCounterStore };

/** Evaluates and, when allowed, commits the reservations at `now`. */
export function call(snapshot: PolicySnapshot, tool: string, options: CallOptions = {}): Decision {
  const store = options.store ?? new FakeCounterStore();
  const now = options.now ?? Date.UTC(2025, 0, 15, 12, 0, 0);
  const decision = evaluate(snapshot, {
    server: "srv",
    agentId: "agt_1",
    grants: [],
    arguments: {},
    ...options,
    tool,
    now,
    counters: store.reader,
  });
  store.commit(decision, now);
  return decision;
}
