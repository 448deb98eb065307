const LEVELS = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"];

export const levelRank = (level: unknown) =>
  typeof level === "string" ? LEVELS.indexOf(level) : -1;

/**
 * What several client sessions ask of one shared upstream that the upstream holds only once:
 * resource subscriptions (counted per URI, so the upstream hears the first subscribe and the
 * last unsubscribe) and log levels (the upstream gets the most verbose one asked for, and each
 * session is filtered to its own).
 */
export class SessionState<P> {
  private readonly subscribers = new Map<string, Set<P>>();
  private readonly levels = new Map<P, string>();
  /** The level the upstream was last told. */
  upstreamLevel: string | null = null;

  /** Subscribes or unsubscribes; true when the upstream must hear it (first in or last out). */
  subscribe(port: P, uri: string, on: boolean): boolean {
    const ports = this.subscribers.get(uri) ?? new Set<P>();
    const before = ports.size;
    if (on) ports.add(port);
    else ports.delete(port);
    if (ports.size > 0) this.subscribers.set(uri, ports);
    else this.subscribers.delete(uri);
    return on ? before === 0 && ports.size === 1 : before === 1 && ports.size === 0;
  }

  subscribed(uri: string): Iterable<P> {
    return this.subscribers.get(uri) ?? [];
  }

  /** Every URI some session is subscribed to (re-subscribed after the upstream restarts). */
  uris(): Iterable<string> {
    return this.subscribers.keys();
  }

  /** Records a session's level; returns the upstream's new level when it changes. */
  setLevel(port: P, level: string): string | null {
    this.levels.set(port, level);
    return this.mergeLevels();
  }

  levelOf(port: P): string | undefined {
    return this.levels.get(port);
  }

  wantsLog(port: P, level: unknown): boolean {
    const wanted = this.levels.get(port);
    return !wanted || levelRank(level) >= levelRank(wanted);
  }

  /**
   * Forgets a session. Returns the URIs nobody is subscribed to any more and the upstream's new
   * level, if it changes.
   */
  drop(port: P): { unsubscribe: string[]; level: string | null } {
    const unsubscribe: string[] = [];
    for (const [uri, ports] of this.subscribers) {
      if (ports.delete(port) && ports.size === 0) {
        this.subscribers.delete(uri);
        unsubscribe.push(uri);
      }
    }
    return { unsubscribe, level: this.levels.delete(port) ? this.mergeLevels() : null };
  }

  private mergeLevels(): string | null {
    let most: string | null = null;
    for (const level of this.levels.values())
      if (most === null || levelRank(level) < levelRank(most)) most = level;
    if (most === null || most === this.upstreamLevel) return null;
    this.upstreamLevel = most;
    return most;
  }
}
