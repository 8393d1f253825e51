/**
 * A process's stdin as the host feeds it: whole for process/exec, piece by piece through
 * process/write for process/spawn. Readers either take what is queued or wait for more.
 */
export class StdinSource {
  private readonly chunks: Uint8Array[] = [];
  private bytes = 0;
  private closed = false;
  private waiters: Array<() => void> = [];
  private listener: (() => void) | undefined;
  private drainWaiters: Array<() => void> = [];
  private demandWaiters: Array<() => void> = [];
  /** The most bytes a waiting read asked for (0: none waits). */
  private wantBytes = 0;

  constructor(private readonly capacity: number) {}

  static of(data: Uint8Array, capacity: number): StdinSource {
    const source = new StdinSource(capacity);
    if (data.byteLength > 0) source.write(data);
    source.close();
    return source;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes queued and not yet read. */
  get buffered(): number {
    return this.bytes;
  }

  /** Returns false when the write would pass the buffer bound (the host must wait). */
  write(data: Uint8Array): boolean {
    if (this.closed) return false;
    if (this.bytes + data.byteLength > this.capacity) return false;
    this.chunks.push(data);
    this.bytes += data.byteLength;
    this.wake();
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    this.wakeDemand();
  }

  /** Everything queued now (possibly nothing). */
  take(): Uint8Array {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks.length = 0;
    this.bytes = 0;
    for (const w of this.drainWaiters.splice(0)) w();
    if (this.listener) this.wakeDemand();
    return all ?? new Uint8Array(0);
  }

  /** At most `max` bytes of what is queued; the rest stays for the next read. */
  takeUpTo(max: number): Uint8Array {
    const all = this.take();
    if (all.byteLength <= max) return all;
    this.chunks.push(all.subarray(max));
    this.bytes = all.byteLength - max;
    return all.subarray(0, max);
  }

  /** Resolves when data is queued or stdin is closed; `want`: the most bytes the read that waits will take. */
  ready(want = Infinity): Promise<void> {
    if (this.bytes > 0 || this.closed) return Promise.resolve();
    this.wantBytes = Math.max(this.wantBytes, want);
    const waiting = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.wakeDemand();
    return waiting;
  }

  /**
   * For a source that fills it from a pipe or a file: resolves once a reader wants bytes
   * and none are queued (a read waits, or a listener takes everything), or at close. A
   * process that never reads its stdin takes nothing from the pipe or file, which stays for
   * the next reader, as with read(2).
   */
  wanted(): Promise<void> {
    if (this.closed || (this.bytes === 0 && (this.waiters.length > 0 || this.listener !== undefined))) return Promise.resolve();
    return new Promise((resolve) => this.demandWaiters.push(resolve));
  }

  /**
   * How many bytes a source filling it should take now: what the waiting reads asked for,
   * or without bound for a listener (a stream that takes everything) — so a `readSync(0,
   * buf, 0, 4)` takes 4 bytes of a pipe, and the next process reading it gets the rest.
   */
  get demand(): number {
    return this.listener !== undefined || this.wantBytes === 0 ? Infinity : this.wantBytes;
  }

  private wakeDemand(): void {
    for (const w of this.demandWaiters.splice(0)) w();
  }

  /** Everything until EOF (for `readFileSync(0)` on a stream). */
  async readAll(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (;;) {
      await this.ready();
      parts.push(this.take());
      if (this.closed && this.bytes === 0) return Buffer.concat(parts);
    }
  }

  /** Resolves when the reader has taken what was queued (a writer that was refused may try again). */
  drained(): Promise<void> {
    if (this.bytes === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Called on every write and on close (the process pushes to a guest that listens). */
  onChange(listener: () => void): void {
    this.listener = listener;
    this.wakeDemand();
  }

  private wake(): void {
    this.wantBytes = 0;
    for (const w of this.waiters.splice(0)) w();
    this.listener?.();
  }
}
