import type { Database, Statement, Transaction } from "better-sqlite3";

import type { Db } from "@/db/client";
import { type CallVerdict, type DecideCallInput, decideToolCall } from "./decide";

type Waiting = {
  input: DecideCallInput;
  resolve: (verdict: CallVerdict) => void;
  reject: (err: unknown) => void;
};

type Result = { ok: true; verdict: CallVerdict } | { ok: false; error: unknown };

type Savepoint = { begin: Statement; release: Statement; rollback: Statement };
const prepared = new WeakMap<Database, Savepoint>();

/** Savepoint statements prepared once per connection (a per-decision savepoint is on the hot path). */
function savepoints(client: Database): Savepoint {
  let sp = prepared.get(client);
  if (!sp) {
    sp = {
      begin: client.prepare("SAVEPOINT decision"),
      release: client.prepare("RELEASE decision"),
      rollback: client.prepare("ROLLBACK TO decision"),
    };
    prepared.set(client, sp);
  }
  return sp;
}

/**
 * Group commit for decisions. Calls queued in the same event-loop turn (or `maxBatch` of them)
 * are decided in ONE IMMEDIATE transaction, in arrival order, each in its own savepoint (when
 * there are several): one failing decision rolls back alone and rejects alone, and every
 * decision sees the reservations of the ones before it, so limits stay exact. Audit-before-forward
 * holds: no promise settles before the transaction has committed, and if the commit fails every
 * promise of the batch rejects (the caller refuses: fail closed).
 *
 * The transaction is the driver's own, made once per batcher: an ORM transaction object per
 * decision showed in every profile of the hot path, and everything inside uses the connection.
 */
export class DecisionBatcher {
  private queue: Waiting[] = [];
  /** Transactions run so far: how well concurrent calls share one commit. */
  batches = 0;
  private scheduled: NodeJS.Immediate | null = null;
  private readonly decideAll: Transaction<(batch: Waiting[]) => Result[]>;

  constructor(
    private readonly db: Db,
    private readonly maxBatch = 64,
  ) {
    const client = db.$client;
    this.decideAll = client.transaction((batch: Waiting[]) =>
      batch.map(({ input }): Result => {
        // Alone in its batch, a decision needs no savepoint: its failure is the batch's.
        if (batch.length === 1) return { ok: true, verdict: decideToolCall(db, input) };
        const sp = savepoints(client);
        sp.begin.run();
        try {
          const verdict = decideToolCall(db, input);
          sp.release.run();
          return { ok: true, verdict };
        } catch (error) {
          // Some failures (disk full, I/O) make SQLite abandon the whole transaction: then
          // nothing decided so far in this batch will commit, so none of it may settle.
          if (!client.inTransaction) throw error;
          sp.rollback.run();
          sp.release.run();
          return { ok: false, error };
        }
      }),
    );
  }

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
    this.batches += 1;
    try {
      results = this.decideAll.immediate(batch);
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
