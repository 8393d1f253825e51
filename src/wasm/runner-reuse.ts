import type { IsolatePool } from '../process/isolate-pool.js';
import type { RunnerIsolate } from './runner-isolate.js';

/** How long a VM keeps its last runner for the next WASM command. */
const KEEP_IDLE_RUNNER_MS = 1000;

/** Where a WASM process gets its runner and gives it back. */
export interface RunnerSource {
  take(heapLimitMb: number): Promise<RunnerIsolate>;
  /** `reusable`: the run ended on its own, nothing of it is still executing. */
  release(runner: RunnerIsolate, reusable: boolean): void;
}

/**
 * A VM's next WASM command reuses the runner of its last one when it comes within a
 * second: the runner is our own code, each run gets a fresh instance and WASI state, and
 * the isolate stays within one VM (one trust domain), so no guest can leave anything for
 * another VM's program. An idle VM holds no runner after that second.
 */
export class RunnerReuse implements RunnerSource {
  private idle: { runner: RunnerIsolate; heapLimitMb: number; timer: NodeJS.Timeout } | undefined;

  constructor(private readonly pool: IsolatePool<RunnerIsolate>) {}

  take(heapLimitMb: number): Promise<RunnerIsolate> {
    const idle = this.idle;
    if (idle && idle.heapLimitMb === heapLimitMb && !idle.runner.isolate.isDisposed) {
      this.idle = undefined;
      clearTimeout(idle.timer);
      return Promise.resolve(idle.runner);
    }
    return this.pool.take(heapLimitMb);
  }

  release(runner: RunnerIsolate, reusable: boolean): void {
    if (!reusable || this.idle || runner.isolate.isDisposed) {
      this.pool.release(runner);
      return;
    }
    const timer = setTimeout(() => this.dispose(), KEEP_IDLE_RUNNER_MS);
    timer.unref();
    this.idle = { runner, heapLimitMb: runner.heapLimitMb, timer };
  }

  dispose(): void {
    const idle = this.idle;
    this.idle = undefined;
    if (!idle) return;
    clearTimeout(idle.timer);
    this.pool.release(idle.runner);
  }
}
