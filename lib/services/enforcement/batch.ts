import type { Db } from "@/db/client";
import { type CallVerdict, type DecideCallInput, decideToolCall } from "./decide";

type Waiting = {
  input: DecideCallInput;
  resolve: (verdict: CallVerdict) => void;
  reject: (err: unknown) => void;
};

type Result = { ok: true; verdict: CallVerdict } | { ok: false; error: unknown };

/**
 * Group commit for decisions. Calls queued in the same event-loop turn (or `maxBatch` of them)
 * are decided in ONE IMMEDIATE transaction, in arrival order, each in its own savepoint: one
 * failing decision rolls back alone and rejects alone, and every decision sees the reservations
 * of the ones before it, so limits stay exact. Audit-before-forward holds: no promise settles
 * before the transaction has committed, and if the commit fails every promise of the batch
 * rejects (the caller refuses: fail closed).
 */
export class DecisionBatcher {
  private queue: Waiting[] = [];
  private scheduled: NodeJS.Immediate | null = null;

  constructor(
    private readonly db: Db,
    private readonly maxBatch = 64,
  ) {}

  decide(input: DecideCallInput): Promise<CallVerdict> {
    return new Promise<CallVerdict>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Decides everything queued now. Settles the promises; never throws. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    let results: Result[];
    try {
      results = this.db.transaction(
        (tx) =>
          batch.map(({ input }): Result => {
            try {
              return { ok: true, verdict: tx.transaction((sp) => decideToolCall(sp, input)) };
            } catch (error) {
              // Some failures (disk full, I/O) make SQLite abandon the whole transaction: then
              // nothing decided so far in this batch will commit, so none of it may settle.
              if (!this.db.$client.inTransaction) throw error;
              return { ok: false, error };
            }
          }),
        { behavior: "immediate" },
      );
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => {
      const r = results[i];
      if (r?.ok) w.resolve(r.verdict);
      else w.reject(r ? r.error : new Error("decision missing from its batch"));
    });
  }

  get pending(): number {
    return this.queue.length;
  }
}
