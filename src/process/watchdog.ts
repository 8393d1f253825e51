import { ThreadPriority } from './thread-priority.js';
import { TickingSet } from './ticking-set.js';

/**
 * Enforces CPU-time budgets for every running guest with one shared interval (started
 * while anything runs). Wall-clock budgets use a timer per process instead: they need
 * no sampling.
 */
export interface Watched {
  /** CPU time used so far, in ms (cheap; may run high while the guest waits for a core). */
  cpuMs(): number;
  /** The same, bounded by what guest threads really used: read only once cpuMs() is past the budget. */
  cpuCeilingMs(): number;
  readonly cpuBudgetMs: number;
  onCpuExhausted(observedMs: number): void;
}

const TICK_MS = 10;
/** How often, while guests run, threads isolated-vm has started since are given a low priority (a sweep that finds no new thread costs one stat). */
const PRIORITY_SWEEP_TICKS = 1;

export class CpuWatchdog {
  private readonly priority = new ThreadPriority();
  private readonly watched = new TickingSet<Watched>(TICK_MS, (all) => this.tick(all), () => this.priority.sweep());
  private ticks = 0;

  add(w: Watched): void {
    this.watched.add(w);
  }

  delete(w: Watched): void {
    this.watched.delete(w);
  }

  private tick(all: ReadonlySet<Watched>): void {
    // The watchdog ticks exactly while guests run: the moment to lower new guest threads.
    if (++this.ticks % PRIORITY_SWEEP_TICKS === 0) this.priority.sweep();
    for (const w of all) {
      if (w.cpuMs() <= w.cpuBudgetMs) continue;
      const used = w.cpuCeilingMs();
      if (used > w.cpuBudgetMs) {
        this.delete(w);
        w.onCpuExhausted(used);
      }
    }
  }
}
