/**
 * The daemon half of bounding guests' calls (src/process/guest-calls.ts is the guest's).
 * The daemon has one event loop for every VM. isolated-vm runs guests' calls into it as
 * tasks, and keeps running them while any are queued: guests that call fast enough (64
 * processes looping on fs calls, one flooding fire-and-forget calls) kept it from ever
 * reaching its timers and I/O, so pings waited seconds and no CPU or wall budget fired.
 *
 * A turn is the time between two passes of the event loop through its check phase. Guest
 * calls share a budget of daemon-thread time per turn; once it is spent, calls that return
 * a value are refused (the guest waits for the next turn and calls again), so the task
 * queue empties and the loop moves on. Waiting for the next turn is also how a guest waits
 * after a window of fire-and-forget calls: by then the daemon has run every call it queued
 * before (isolated-vm runs one isolate's calls in order).
 */
class DaemonTurn {
  private usedMs = 0;
  private ending = false;
  private waiting: Array<() => void> = [];
  private turns = 0;

  /** Counts turns, so a per-process tally can tell when a new one began. */
  get number(): number {
    return this.turns;
  }

  spent(budgetMs: number): boolean {
    return this.usedMs >= budgetMs;
  }

  charge(ms: number): void {
    this.usedMs += ms;
    this.endSoon();
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
      this.usedMs = 0;
      this.turns++;
      const waiting = this.waiting;
      this.waiting = [];
      for (const resume of waiting) resume();
    });
  }
}

/** One per daemon, as there is one event loop. */
export const daemonTurn = new DaemonTurn();
