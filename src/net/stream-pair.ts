import { Duplex } from 'node:stream';

/**
 * Two connected in-daemon streams: what one end writes the other reads, with the
 * backpressure of a socket pair (a write completes once the peer has taken it into its
 * readable buffer; when that buffer is full the write waits until the peer reads). The
 * VM's own loopback and the host's side of vm/fetch and vm/forward use it; no host socket.
 */
class PairEnd extends Duplex {
  peer!: PairEnd;
  /** A write held back until the peer reads. */
  private waiting: (() => void) | undefined;
  private peerGone = false;
  /** Whether this side has sent the peer its end. */
  private eofSent = false;

  private sendEof(): void {
    if (this.eofSent || this.peer.destroyed) return;
    this.eofSent = true;
    this.peer.push(null);
  }

  constructor(highWaterMark: number) {
    super({ allowHalfOpen: true, highWaterMark, emitClose: true });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.peerGone || this.peer.destroyed) {
      cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      return;
    }
    if (this.peer.push(chunk)) cb();
    else this.waiting = () => cb();
  }

  override _read(): void {
    // The peer may go on writing.
    const go = this.peer.waiting;
    this.peer.waiting = undefined;
    go?.();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.sendEof();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const peer = this.peer;
    peer.peerGone = true;
    const held = peer.waiting;
    peer.waiting = undefined;
    held?.();
    // The peer sees the end (a FIN) if this side had not ended already.
    this.sendEof();
    this.waiting = undefined;
    cb(err);
  }
}

export function streamPair(highWaterMark: number): [Duplex, Duplex] {
  const a = new PairEnd(highWaterMark);
  const b = new PairEnd(highWaterMark);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
