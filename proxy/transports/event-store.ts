/**
 * The events of one session's SSE streams, kept so that a client whose connection dropped can
 * resume a stream with `Last-Event-ID` (Streamable HTTP 2025-11-25, resumability and
 * redelivery). An event id is `<stream>_<seq>`: unique across the session's streams, and it
 * names the stream it belongs to, so a resume replays that stream and no other.
 *
 * Bounded per session: once it holds more than `maxEvents` events or `maxBytes` of data, the
 * oldest events go first, whichever stream they belong to. The store lives and dies with its
 * session; nothing is written anywhere else.
 */

export type StoreLimits = { maxEvents: number; maxBytes: number };

export const DEFAULT_STORE_LIMITS: StoreLimits = { maxEvents: 1_000, maxBytes: 4 * 1024 * 1024 };

/** One stored event: its place in its stream and its `data` (empty for a priming event). */
export type StoredEvent = { readonly seq: number; readonly data: string; readonly bytes: number };

/** The stored part of one SSE stream. */
export class EventStream {
  /** Held events, oldest first; older ones may have been dropped to keep the store bounded. */
  readonly events: StoredEvent[] = [];
  private seq = 0;
  /** The stream's last message was written: a resume replays what is held and ends. */
  ended = false;

  constructor(readonly id: string) {}

  /** The id of this stream's event `seq`. */
  eventId(seq: number): string {
    return `${this.id}_${seq}`;
  }

  get lastSeq(): number {
    return this.seq;
  }

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  /** Held events that came after event `seq`, oldest first. */
  after(seq: number): StoredEvent[] {
    const first = this.events.findIndex((e) => e.seq > seq);
    return first < 0 ? [] : this.events.slice(first);
  }
}

/** The streams of one session and their events, oldest first across all of them. */
export class SessionEventStore {
  private readonly streams = new Map<string, EventStream>();
  /** Every held event in the order it was stored, with its stream: what goes first. */
  private readonly order: { stream: EventStream; event: StoredEvent }[] = [];
  private head = 0;
  private bytes = 0;
  private streamSeq = 0;

  constructor(private readonly limits: StoreLimits = DEFAULT_STORE_LIMITS) {}

  /** A new stream with an id no other stream of this session has had. */
  open(): EventStream {
    this.streamSeq += 1;
    const stream = new EventStream(String(this.streamSeq));
    this.streams.set(stream.id, stream);
    return stream;
  }

  /** Stores `data` as the next event of `stream` and returns it. */
  append(stream: EventStream, data: string): StoredEvent {
    const event: StoredEvent = { seq: stream.nextSeq(), data, bytes: Buffer.byteLength(data) };
    if (!this.streams.has(stream.id)) this.streams.set(stream.id, stream);
    stream.events.push(event);
    this.order.push({ stream, event });
    this.bytes += event.bytes;
    this.evict();
    return event;
  }

  /** A finished stream whose events are all gone is forgotten; a resume of it is refused. */
  end(stream: EventStream): void {
    stream.ended = true;
    if (stream.events.length === 0) this.streams.delete(stream.id);
  }

  /**
   * The stream an event id names and the position to replay after, or null when the id is
   * malformed, names no stream this store holds, or lies beyond the stream's last event.
   */
  locate(eventId: string): { stream: EventStream; seq: number } | null {
    const cut = eventId.lastIndexOf("_");
    if (cut <= 0) return null;
    const digits = eventId.slice(cut + 1);
    if (!/^\d{1,15}$/.test(digits)) return null;
    const stream = this.streams.get(eventId.slice(0, cut));
    const seq = Number(digits);
    if (!stream || seq > stream.lastSeq) return null;
    return { stream, seq };
  }

  get size(): { events: number; bytes: number } {
    return { events: this.order.length - this.head, bytes: this.bytes };
  }

  clear(): void {
    this.streams.clear();
    this.order.length = 0;
    this.head = 0;
    this.bytes = 0;
  }

  /** Drops the oldest events while over a limit; the event just stored always stays. */
  private evict(): void {
    const { maxEvents, maxBytes } = this.limits;
    while (
      this.order.length - this.head > 1 &&
      (this.order.length - this.head > maxEvents || this.bytes > maxBytes)
    ) {
      const oldest = this.order[this.head];
      this.head += 1;
      if (!oldest) break;
      const { stream, event } = oldest;
      if (stream.events[0] === event) stream.events.shift();
      this.bytes -= event.bytes;
      if (stream.ended && stream.events.length === 0) this.streams.delete(stream.id);
    }
    if (this.head > 1_024 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }
}
