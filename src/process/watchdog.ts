import { ThreadPriority } from './thread-priority.js';

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
/** How often, while guests run, threads isolated-vm has started since are given a low priority. */
const PRIORITY_SWEEP_TICKS = 20;

export class CpuWatchdog {
  private readonly watched = new Set<Watched>();
  private readonly priority = new ThreadPriority();
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;

  add(w: Watched): void {
    this.watched.add(w);
    if (!this.timer) {
      this.priority.sweep();
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
    // The watchdog ticks exactly while guests run: the moment to lower new guest threads.
    if (++this.ticks % PRIORITY_SWEEP_TICKS === 0) this.priority.sweep();
    for (const w of this.watched) {
      const used = w.cpuMs();
      if (used > w.cpuBudgetMs) {
        this.delete(w);
        w.onCpuExhausted(used);
      }
    }
  }
}
