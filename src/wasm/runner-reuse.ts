import type { IsolatePool } from '../process/isolate-pool.js';
import type { RunnerIsolate } from './runner-isolate.js';

/** How long a VM keeps an idle runner for its next WASM command. */
const KEEP_IDLE_RUNNER_MS = 1000;

/** Where a WASM process gets its runner and gives it back. */
export interface RunnerSource {
  take(heapLimitMb: number): Promise<RunnerIsolate>;
  /** `reusable`: the run ended on its own, nothing of it is still executing. */
  release(runner: RunnerIsolate, reusable: boolean): void;
}

interface Idle {
  runner: RunnerIsolate;
  timer: NodeJS.Timeout;
}

/**
 * A VM's next WASM commands reuse the runners of its last ones when they come within a
 * second: the runner is our own code, each run gets a fresh instance and WASI state, and
 * the isolate stays within one VM (one trust domain), so no guest can leave anything for
 * another VM's program. A fresh runner's first run costs ~10 ms more than a used one's
 * (isolated-vm's first task on an isolate, cold runtime code), and a pipeline needs a
 * runner per stage, so up to `maxIdle` are kept: the next pipeline starts warm. An idle
 * VM holds no runner after that second.
 */
export class RunnerReuse implements RunnerSource {
  private readonly idle: Idle[] = [];

  constructor(
    private readonly pool: IsolatePool<RunnerIsolate>,
    private readonly maxIdle: number,
  ) {}

  take(heapLimitMb: number): Promise<RunnerIsolate> {
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const { runner, timer } = this.idle[i]!;
      if (runner.heapLimitMb !== heapLimitMb || runner.isolate.isDisposed) continue;
      this.idle.splice(i, 1);
      clearTimeout(timer);
      return Promise.resolve(runner);
    }
    return this.pool.take(heapLimitMb);
  }

  release(runner: RunnerIsolate, reusable: boolean): void {
    if (!reusable || this.idle.length >= this.maxIdle || runner.isolate.isDisposed) {
      this.pool.release(runner);
      return;
    }
    const entry: Idle = { runner, timer: setTimeout(() => this.drop(entry), KEEP_IDLE_RUNNER_MS) };
    entry.timer.unref();
    this.idle.push(entry);
  }

  /** Gives every idle runner back (the VM is going away). */
  dispose(): void {
    for (const entry of [...this.idle]) this.drop(entry);
  }

  private drop(entry: Idle): void {
    const at = this.idle.indexOf(entry);
    if (at < 0) return;
    this.idle.splice(at, 1);
    clearTimeout(entry.timer);
    this.pool.release(entry.runner);
  }
}
