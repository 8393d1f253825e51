import { IsolateFactory } from './isolate-factory.js';

/** What the pool holds: an isolate with its runtime already set up. */
export interface Poolable {
  dispose(): void;
}

/**
 * Keeps a few prepared isolates with the default heap limit, so a process starts without
 * paying for isolate creation and runtime setup on the request path. A take starts a
 * refill on the next turn of the event loop, so making the next isolate (~1.5 ms on the
 * daemon's thread, the rest on isolated-vm's) overlaps with the guest that just started.
 * (Waiting for a quiet moment instead was measured slower: under back-to-back execs the
 * pool drained and every exec paid the whole cost.) An isolate is never reused after
 * guest code ran in it.
 */
export class IsolatePool<T extends Poolable> {
  private readonly ready: T[] = [];
  private refilling = false;
  private closed = false;
  private live = 0;

  constructor(
    private readonly defaultHeapMb: number,
    private readonly size: number,
    private readonly make: (heapLimitMb: number) => Promise<T>,
  ) {}

  get pooled(): number {
    return this.ready.length;
  }

  /** Isolates created and not yet disposed (pooled ones included). */
  get liveIsolates(): number {
    return this.live;
  }

  async take(heapLimitMb: number): Promise<T> {
    const prepared = heapLimitMb === this.defaultHeapMb ? this.ready.pop() : undefined;
    this.scheduleRefill();
    return prepared ?? this.create(heapLimitMb);
  }

  release(prepared: T): void {
    prepared.dispose();
    this.live--;
  }

  /** Fills the pool (at start, so the first exec is warm too). */
  async warm(): Promise<void> {
    while (!this.closed && this.ready.length < this.size) this.ready.push(await this.create(this.defaultHeapMb));
  }

  close(): void {
    this.closed = true;
    IsolateFactory.stop();
    for (const prepared of this.ready.splice(0)) {
      prepared.dispose();
      this.live--;
    }
  }

  private async create(heapLimitMb: number): Promise<T> {
    this.live++;
    try {
      return await this.make(heapLimitMb);
    } catch (err) {
      this.live--;
      throw err;
    }
  }

  private scheduleRefill(): void {
    if (this.refilling || this.closed || this.ready.length >= this.size) return;
    this.refilling = true;
    setImmediate(() => this.refillOne());
  }

  private refillOne(): void {
    this.create(this.defaultHeapMb).then(
      (prepared) => {
        this.refilling = false;
        if (this.closed) {
          prepared.dispose();
          this.live--;
          return;
        }
        this.ready.push(prepared);
        this.scheduleRefill();
      },
      () => {
        this.refilling = false;
      },
    );
  }
}
