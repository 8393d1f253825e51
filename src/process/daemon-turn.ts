/**
 * The daemon half of bounding guests' calls (src/process/guest-calls.ts is the guest's).
 * The daemon has one event loop for every VM. isolated-vm runs guests' calls into it as
 * tasks, and keeps running them while any are queued: guests that call fast enough (64
 * processes looping on fs calls, one flooding fire-and-forget calls) kept it from ever
 * reaching its timers and I/O, so pings waited seconds and no CPU or wall budget fired.
 *
 * A turn is the time between two passes of the event loop through its check phase. Once
 * guest calls have kept the daemon's thread busy for a budget of time in one turn
 * (measured from the first call of the turn, so isolated-vm's own copying of arguments and
 * results counts too), calls that return a value are refused (the guest waits for the next
 * turn and calls again), so the task queue empties and the loop moves on. Waiting for the
 * next turn is also how a guest waits after a window of fire-and-forget calls: by then the
 * daemon has run every call it queued before (isolated-vm runs one isolate's calls in
 * order).
 */
class DaemonTurn {
  /** When the first guest call of this turn began (-1: none yet). */
  private startedAt = -1;
  private ending = false;
  private waiting: Array<() => void> = [];

  /** A guest call begins: the turn's clock starts with the first one. */
  enter(): void {
    if (this.startedAt < 0) this.startedAt = performance.now();
    this.endSoon();
  }

  spent(budgetMs: number): boolean {
    return this.startedAt >= 0 && performance.now() - this.startedAt >= budgetMs;
  }

  /** Resolves on the next turn: after the event loop's timers and I/O have had their go. */
  next(): Promise<void> {
    const turn = new Promise<void>((resolve) => this.waiting.push(resolve));
    this.endSoon();
    return turn;
  }

  private endSoon(): void {
    if (this.ending) return;
    this.ending = true;
    setImmediate(() => {
      this.ending = false;
      this.startedAt = -1;
      const waiting = this.waiting;
      this.waiting = [];
      for (const resume of waiting) resume();
    });
  }
}

/** One per daemon, as there is one event loop. */
export const daemonTurn = new DaemonTurn();
