/**
 * Enforces CPU-time budgets for every running guest with one shared interval (started
 * while anything runs). Wall-clock budgets use a timer per process instead: they need
 * no sampling.
 */
export interface Watched {
  /** CPU time used so far, in ms. */
  cpuMs(): number;
  readonly cpuBudgetMs: number;
  onCpuExhausted(observedMs: number): void;
}

const TICK_MS = 10;

export class CpuWatchdog {
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | undefined;

  add(w: Watched): void {
    this.watched.add(w);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), TICK_MS);
      this.timer.unref();
    }
  }

  delete(w: Watched): void {
    this.watched.delete(w);
    if (this.watched.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    for (const w of this.watched) {
      const used = w.cpuMs();
      if (used > w.cpuBudgetMs) {
        this.delete(w);
        w.onCpuExhausted(used);
      }
    }
  }
}
