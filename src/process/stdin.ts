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
  }

  /** Everything queued now (possibly nothing). */
  take(): Uint8Array {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks.length = 0;
    this.bytes = 0;
    for (const w of this.drainWaiters.splice(0)) w();
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

  /** Resolves when data is queued or stdin is closed. */
  ready(): Promise<void> {
    if (this.bytes > 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
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
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
    this.listener?.();
  }
}
