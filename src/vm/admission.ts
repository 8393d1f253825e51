import { AgentosError } from '../errors.js';
import type { RunnerSource } from '../wasm/runner-reuse.js';

/**
 * Every process of every VM, counted together against AGENTOS_SIDECAR_MAX_PROCESSES: a
 * process holds an isolate and, while it blocks, a thread, so enough VMs each within
 * their own bound would otherwise take the daemon to gigabytes and the kernel's pid_max.
 */
export class SidecarProcesses {
  private running = 0;

  constructor(
    private readonly capacity: number,
    private readonly onRefused: (observed: number, capacity: number) => void,
  ) {}

  get size(): number {
    return this.running;
  }

  /** Counts one more process, or refuses (a spawning guest sees EAGAIN, a host this code). */
  take(): void {
    if (this.running >= this.capacity) {
      this.onRefused(this.running + 1, this.capacity);
      throw new AgentosError('ERR_AGENTOS_SIDECAR_PROCESS_LIMIT', `the sidecar already runs ${this.capacity} processes across its VMs (raise AGENTOS_SIDECAR_MAX_PROCESSES)`, {
        limit: 'sidecar_max_processes', capacity: this.capacity, observed: this.running + 1, env: 'AGENTOS_SIDECAR_MAX_PROCESSES',
      });
    }
    this.running++;
  }

  give(): void {
    this.running--;
  }
}

interface Waiter {
  live: () => boolean;
  start: () => void;
}

/**
 * A VM's token bucket for the processes its guests spawn: `burst` may start at once, then
 * one per `intervalMs`. A spawn past it still gets its pid at once (the parent goes on, as
 * after fork), but the child takes no runner, and so no isolate and no thread, until a
 * token comes: a fork bomb grows at the bucket's rate, whatever its shape, and the daemon's
 * work for it (one isolate per start) is bounded per second. Waiting children count
 * against the VM's process limit (a spawn past that is EAGAIN) and end with it: a killed
 * child leaves the queue without taking a token. Processes a host starts are not gated.
 */
export class SpawnBucket {
  private tokens: number;
  private last = performance.now();
  private readonly queue: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly burst: number,
    private readonly intervalMs: number,
    private readonly onWait: (waiting: number, burst: number) => void,
  ) {
    this.tokens = burst;
  }

  /** Children spawned and not yet started. */
  get waiting(): number {
    return this.queue.length;
  }

  /** `source`, with each take waiting for a token first; `live`: false once the child ended. */
  gate(source: RunnerSource, live: () => boolean): RunnerSource {
    return {
      take: (heapLimitMb) => new Promise<void>((start) => this.admit({ live, start })).then(() => source.take(heapLimitMb)),
      release: (runner, reusable) => source.release(runner, reusable),
    };
  }

  /** Resolves when a spawned process that starts without a runner (guest `node`) may start. */
  wait(live: () => boolean): Promise<void> {
    return new Promise<void>((start) => this.admit({ live, start }));
  }

  private admit(waiter: Waiter): void {
    this.refill();
    if (this.queue.length === 0 && this.tokens >= 1) {
      this.tokens--;
      waiter.start();
      return;
    }
    this.queue.push(waiter);
    this.onWait(this.queue.length, this.burst);
    this.schedule();
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) / this.intervalMs);
    this.last = now;
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    const delay = Math.max(1, (1 - this.tokens) * this.intervalMs);
    this.timer = setTimeout(() => this.drain(), delay);
    this.timer.unref();
  }

  /** Starts the waiters the tokens allow, oldest first; a waiter that ended is dropped free. */
  private drain(): void {
    this.timer = undefined;
    this.refill();
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (!next.live()) {
        this.queue.shift();
        continue;
      }
      if (this.tokens < 1) break;
      this.queue.shift();
      this.tokens--;
      next.start();
    }
    this.schedule();
  }
}
