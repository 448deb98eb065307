import type { Db } from "@/db/client";
import type { AuditEvent, Role } from "@/db/schema";
import { newId } from "@/lib/core/ids";
import type { ServiceContext } from "../context";
import { headSeq, tailAuditEvents } from "./list";
import { toAuditEventView } from "./views";

/** One live stream connection: where it stands and how to hand it SSE text. */
export type LiveSubscriber = {
  userId: string;
  role: Role;
  /** The last seq this connection has been sent. */
  cursor: number;
  /** Queues SSE text; false when the connection's buffer is full (it is skipped until it drains). */
  send: (text: string) => boolean;
  /** Whether the connection can take more now (backpressure). */
  ready: () => boolean;
  /** Called on every poll, for heartbeats and session checks; may close the connection. */
  onPoll?: (now: number) => void;
};

const POLL_MS = 50;
const BATCH = 500;

/**
 * One poller per process for the audit stream: every POLL_MS it reads the rows after its cursor
 * once and fans them out to every connection, each row serialised once per role. A connection
 * that is behind (resumed from an older seq, or skipped while its buffer was full) catches up
 * with reads of its own, one batch per poll, until it is level again. Polls only while someone
 * listens.
 */
export class AuditHub {
  private readonly subscribers = new Set<LiveSubscriber>();
  private readonly byUser = new Map<string, Set<LiveSubscriber>>();
  private cursor: number;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Told about a poll that failed (the hub keeps polling). */
  onError: ((err: unknown) => void) | null = null;
  /** Database reads made for the shared tail, and for connections catching up (for tests and metrics). */
  readonly reads = { shared: 0, catchUp: 0 };

  // The hub reads as the system; each connection was authorized by its route and is re-checked
  // by its own onPoll.
  private readonly ctx: ServiceContext;

  constructor(
    db: Db,
    private readonly pollMs = POLL_MS,
  ) {
    this.ctx = {
      db,
      actor: { type: "system", job: "audit-stream" },
      source: "console",
      requestId: newId("request"),
      now: () => new Date(),
    };
    this.cursor = headSeq({ db });
  }

  /** The newest seq the hub has read. */
  get head(): number {
    return this.cursor;
  }

  subscribe(sub: LiveSubscriber): () => void {
    this.subscribers.add(sub);
    let mine = this.byUser.get(sub.userId);
    if (!mine) this.byUser.set(sub.userId, (mine = new Set()));
    mine.add(sub);
    this.timer ??= setTimeout(() => this.poll(), 0);
    return () => this.unsubscribe(sub);
  }

  private unsubscribe(sub: LiveSubscriber): void {
    this.subscribers.delete(sub);
    const mine = this.byUser.get(sub.userId);
    mine?.delete(sub);
    if (mine?.size === 0) this.byUser.delete(sub.userId);
    if (this.subscribers.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** Open stream connections of one user. */
  countFor(userId: string): number {
    return this.byUser.get(userId)?.size ?? 0;
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Reads new rows once and hands them to every connection that is level; exposed for tests. */
  poll(): void {
    this.timer = null;
    let full = false;
    try {
      const from = this.cursor;
      const rows = tailAuditEvents(this.ctx, from, BATCH);
      this.reads.shared += 1;
      if (rows.length) this.cursor = rows.at(-1)?.seq ?? from;
      full = rows.length === BATCH;
      const frames = new Map<Role, string>();
      const framesFor = (role: Role) => {
        let text = frames.get(role);
        if (text === undefined) frames.set(role, (text = sse(rows, role)));
        return text;
      };
      const now = Date.now();
      for (const sub of [...this.subscribers]) {
        sub.onPoll?.(now);
        if (!this.subscribers.has(sub) || !sub.ready()) continue;
        if (sub.cursor >= this.cursor) continue;
        if (sub.cursor === from) {
          if (sub.send(framesFor(sub.role))) sub.cursor = this.cursor;
        } else if (sub.cursor > from) {
          // Joined between two polls: the part of this batch it has not seen.
          const rest = rows.filter((r) => r.seq > sub.cursor);
          if (sub.send(sse(rest, sub.role))) sub.cursor = this.cursor;
        } else {
          const own = tailAuditEvents(this.ctx, sub.cursor, BATCH);
          this.reads.catchUp += 1;
          const upTo = own.filter((r) => r.seq <= this.cursor);
          if (upTo.length && sub.send(sse(upTo, sub.role)))
            sub.cursor = upTo.at(-1)?.seq ?? sub.cursor;
        }
      }
    } catch (err) {
      // A busy or failing read: tell the owner, try again on the next poll.
      this.onError?.(err);
    } finally {
      if (this.subscribers.size > 0)
        this.timer = setTimeout(() => this.poll(), full ? 0 : this.pollMs);
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.subscribers.clear();
    this.byUser.clear();
  }
}

function sse(rows: AuditEvent[], role: Role): string {
  let out = "";
  for (const row of rows)
    out += `id: ${row.seq}\nevent: audit\ndata: ${JSON.stringify(toAuditEventView(row, role))}\n\n`;
  return out;
}

const hubs = globalThis as typeof globalThis & { __portcullisAuditHub?: AuditHub };

/** The process's hub (one per server process, surviving dev hot reloads). */
export function auditHub(db: Db): AuditHub {
  hubs.__portcullisAuditHub ??= new AuditHub(db);
  return hubs.__portcullisAuditHub;
}
