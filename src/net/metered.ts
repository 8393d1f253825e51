import { Duplex } from 'node:stream';

/**
 * A connection to the world as the guest's side holds it: every byte in and out goes past
 * the VM's meter first (NET_BYTES_IN_PER_VM, NET_BYTES_OUT_PER_VM), and a byte past the
 * bound ends the connection with the meter's error instead of being delivered or sent.
 * It reads from the socket only when its reader wants more, so the daemon holds at most a
 * socket's buffer per connection.
 */
export interface ByteMeter {
  /** Counts `n` bytes; an error when they pass the bound (then nothing is counted). */
  take(direction: 'in' | 'out', n: number): Error | undefined;
}

export class MeteredStream extends Duplex {
  constructor(
    private readonly inner: Duplex,
    private readonly meter: ByteMeter,
    private readonly onClose: () => void,
  ) {
    super({ allowHalfOpen: true, emitClose: true });
    inner.on('data', (chunk: Buffer) => {
      const over = this.meter.take('in', chunk.byteLength);
      if (over) {
        this.destroy(over);
        return;
      }
      if (!this.push(chunk)) inner.pause();
    });
    inner.on('end', () => this.push(null));
    inner.on('error', (err) => this.destroy(err));
    inner.on('close', () => {
      if (!this.destroyed && !this.readableEnded) this.push(null);
    });
    inner.pause();
    this.once('close', () => this.onClose());
  }

  override _read(): void {
    this.inner.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const over = this.meter.take('out', chunk.byteLength);
    if (over) {
      cb(over);
      this.destroy(over);
      return;
    }
    this.inner.write(chunk, (err) => cb(err ?? null));
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.inner.end(() => cb());
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.inner.destroy();
    cb(err);
  }
}
