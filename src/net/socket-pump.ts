import type { Duplex } from 'node:stream';
import type { SocketChannel } from '../process/socket-channel.js';
import { E } from '../wasm/runner/errno.js';
import { errnoOf } from '../wasm/runner/errno.js';

/** Most bytes taken from the send ring for one stream.write. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Moves a connected socket's bytes between its Duplex and its rings, both ways, with
 * back-pressure on each: the stream is paused while the guest's receive ring is full, and
 * nothing more is taken from the send ring while the stream's own buffer is over its high
 * water mark. The daemon waits on the rings with Atomics.waitAsync, so a guest's send
 * costs no call into the daemon. Ends when the stream closes or `stop` is called.
 */
export class SocketPump {
  private stopped = false;
  private inbound: Buffer[] = [];
  private feeding = false;

  constructor(
    private readonly stream: Duplex,
    private readonly ch: SocketChannel,
    onClosed: () => void,
  ) {
    ch.rx.setEnds(1, 1);
    ch.tx.setEnds(1, 1);
    // Once stopped (a TLS upgrade let the stream go, the VM ended), its events change nothing.
    stream.on('data', (chunk: Buffer | string) => {
      if (this.stopped) return;
      this.inbound.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      void this.feed();
    });
    stream.on('end', () => {
      if (this.stopped) return;
      this.inbound.push(EOF);
      void this.feed();
    });
    stream.on('error', (err: Error & { code?: string }) => {
      if (this.stopped) return;
      // A reset: the next recv or send reports it; what was received stays readable.
      ch.fail(err.code === 'EPIPE' ? E.PIPE : errnoOf(err.code) === E.IO ? E.CONNRESET : errnoOf(err.code));
      this.inbound.push(EOF);
      void this.feed();
      ch.tx.setEnds(0, 1);
    });
    stream.on('close', () => {
      if (this.stopped) return;
      this.inbound.push(EOF);
      void this.feed();
      ch.tx.setEnds(0, this.ch.tx.hasWriters ? 1 : 0);
      this.stop();
      onClosed();
    });
    void this.drain();
  }

  /** Into the receive ring, pausing the stream while the ring is full. */
  private async feed(): Promise<void> {
    if (this.feeding) return;
    this.feeding = true;
    try {
      while (this.inbound.length > 0) {
        const chunk = this.inbound[0]!;
        if (chunk === EOF) {
          this.inbound = [];
          this.ch.rx.setEnds(this.ch.rx.hasReaders ? 1 : 0, 0);
          return;
        }
        const seen = this.ch.rx.seen;
        const n = this.ch.rx.write(chunk, false);
        if (n === 'broken') {
          // No reader left (the guest shut reading down or closed): drop what arrives.
          this.inbound.shift();
          continue;
        }
        if (n === 'again') {
          this.stream.pause();
          await this.ch.rx.changeAfter(seen);
          if (this.stopped) return;
          continue;
        }
        if (n === chunk.byteLength) this.inbound.shift();
        else this.inbound[0] = chunk.subarray(n);
      }
      if (!this.stopped) this.stream.resume();
    } finally {
      this.feeding = false;
    }
  }

  /** From the send ring to the stream; the guest's shutdown(SHUT_WR) or last close ends it. */
  private async drain(): Promise<void> {
    while (!this.stopped) {
      const seen = this.ch.tx.seen;
      const buf = new Uint8Array(Math.min(CHUNK_BYTES, Math.max(1, this.ch.tx.buffered)));
      const n = this.ch.tx.read(buf, false);
      if (n === 'again') {
        await this.ch.tx.changeAfter(seen);
        continue;
      }
      if (n === 0) {
        this.stream.end();
        return;
      }
      if (typeof n !== 'number') return;
      if (!this.stream.write(buf.subarray(0, n))) {
        await new Promise<void>((resolve) => {
          const done = () => {
            this.stream.off('drain', done);
            this.stream.off('close', done);
            resolve();
          };
          this.stream.on('drain', done);
          this.stream.on('close', done);
        });
      }
    }
  }

  /** The VM ends: the stream goes at once. */
  destroy(): void {
    this.stop();
    this.stream.destroy();
  }

  /** Let go: wakes both loops so they see it. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.ch.rx.changed();
    this.ch.tx.changed();
  }
}

const EOF = Buffer.alloc(0);
