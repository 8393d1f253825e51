import { fstatSync, write as fsWrite } from 'node:fs';
import { Socket } from 'node:net';

/**
 * Where log lines go: fd 2, written so that the daemon never blocks on it and never stays
 * alive for it. A pipe or socket (what a host that spawns the daemon gives it) is written
 * through a non-blocking handle on the event loop; anything else (a file, a terminal,
 * /dev/null) with one asynchronous write at a time. At most `capacity` bytes wait; past
 * that lines are dropped and counted, and the count is logged once there is room again.
 * A broken stderr (EPIPE: the host is gone) drops everything from then on. There is no
 * synchronous flush: pino's own destination flushed at exit in a loop that retried EPIPE
 * forever and blocked on a full pipe, so a daemon whose host died never ended.
 */
export class LogSink {
  private readonly socket: Socket | undefined;
  private readonly queue: string[] = [];
  private queuedBytes = 0;
  /** Bytes of the chunk being written (file path), counted as pending until written. */
  private inFlightBytes = 0;
  private broken = false;
  private waiters: Array<() => void> = [];
  /** Lines dropped since the last report, and in all. */
  private unreported = 0;
  dropped = 0;

  constructor(
    private readonly fd: number,
    private readonly capacity: number,
  ) {
    let stat;
    try {
      stat = fstatSync(fd);
    } catch {
      this.broken = true;
      return;
    }
    if (stat.isFIFO() || stat.isSocket()) {
      // libuv sets O_NONBLOCK on the fd and writes when epoll says there is room.
      this.socket = new Socket({ fd, readable: false, writable: true });
      this.socket.unref();
      this.socket.on('error', () => this.break());
    }
  }

  /** Bytes waiting to be written. */
  get pendingBytes(): number {
    return this.socket ? this.socket.writableLength : this.queuedBytes + this.inFlightBytes;
  }

  /** pino calls this with one serialized line. */
  write(line: string): boolean {
    if (this.broken) return true;
    const bytes = Buffer.byteLength(line);
    if (this.pendingBytes + bytes > this.capacity) {
      this.dropped++;
      this.unreported++;
      return true;
    }
    if (this.unreported > 0) {
      const note = `${JSON.stringify({ level: 'warn', time: new Date().toISOString(), pid: process.pid, name: 'agentos-sidecar', dropped: this.unreported, msg: 'log lines dropped: stderr was not read fast enough (AGENTOS_LOG_BUFFER_BYTES)' })}\n`;
      this.unreported = 0;
      this.push(note);
    }
    this.push(line);
    return true;
  }

  /** Calls back once everything queued has been written, or stderr broke. Never blocks. */
  flush(callback: (err?: Error) => void = () => {}): void {
    if (this.broken || this.pendingBytes === 0) return callback();
    this.waiters.push(() => callback());
  }

  private push(line: string): void {
    if (this.socket) {
      // 'drain' comes only after the buffer passed its high-water mark: a flush waits on
      // each write's own callback instead.
      this.socket.write(line, () => this.settleWaiters());
      return;
    }
    this.queue.push(line);
    this.queuedBytes += Buffer.byteLength(line);
    if (this.inFlightBytes === 0) this.writeNext();
  }

  /** The file path: one write in flight; EAGAIN waits a little and tries again. */
  private writeNext(): void {
    if (this.broken || this.queue.length === 0) {
      this.inFlightBytes = 0;
      this.settleWaiters();
      return;
    }
    const chunk = Buffer.from(this.queue.join(''));
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.inFlightBytes = chunk.length;
    const writeFrom = (offset: number): void => {
      fsWrite(this.fd, chunk, offset, chunk.length - offset, null, (err, n) => {
        if (err && (err as NodeJS.ErrnoException).code === 'EAGAIN') {
          setTimeout(() => writeFrom(offset), 20).unref();
          return;
        }
        if (err) return this.break();
        if (offset + n < chunk.length) return writeFrom(offset + n);
        this.writeNext();
      });
    };
    writeFrom(0);
  }

  private break(): void {
    this.broken = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.inFlightBytes = 0;
    this.socket?.destroy();
    this.settleWaiters();
  }

  private settleWaiters(): void {
    if (!this.broken && this.pendingBytes > 0) return;
    for (const wake of this.waiters.splice(0)) wake();
  }
}
