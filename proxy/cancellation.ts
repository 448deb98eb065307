/**
 * One call's cancellation. Almost no call is cancelled or waits for anything, and an AbortSignal
 * is costly enough to show in a profile of every call, so the signal is made only when something
 * waits on it (an approval hold).
 */
export class Cancellation {
  private controller: AbortController | null = null;
  private cancelled = false;

  get aborted(): boolean {
    return this.cancelled;
  }

  abort(): void {
    this.cancelled = true;
    this.controller?.abort();
  }

  /** Aborted already if the call was cancelled before anyone asked for it. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.cancelled) this.controller.abort();
    }
    return this.controller.signal;
  }
}
