import type { Buffer } from 'buffer';
import { Emitter } from './emitter.js';
import { lazyBuffer } from './lazy.js';
import { writeOut } from './output.js';
import { queueCallback } from './callback-queue.js';

/**
 * Minimal stream objects: enough for `process.stdout.write`, `process.stdin` events and
 * async iteration. (fs streams are real Node streams: fs-streams.ts.)
 */
export class WritableOut extends Emitter {
  readonly writable = true;
  /** True on a terminal's stdio (terminal.ts sets it up). */
  isTTY = false;
  constructor(readonly fd: number, private readonly sink: (data: string | Uint8Array) => void) {
    super();
  }
  write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    if (typeof encoding === 'function') cb = encoding;
    const data = typeof chunk === 'string'
      ? (typeof encoding === 'string' && encoding !== 'utf8' && encoding !== 'utf-8' ? lazyBuffer().from(chunk, encoding as BufferEncoding) : chunk)
      : chunk instanceof Uint8Array ? chunk : String(chunk);
    this.sink(data);
    // As a Node Writable: the callback gets `null` once written (console's error handler checks for it).
    if (typeof cb === 'function') queueCallback(() => (cb as (err: null) => void)(null));
    return true;
  }
  end(chunk?: unknown, encoding?: unknown, cb?: unknown): this {
    if (typeof chunk === 'function') cb = chunk;
    else if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
    queueCallback(() => {
      this.emit('finish');
      if (typeof cb === 'function') (cb as () => void)();
    });
    return this;
  }
  cork(): void {}
  uncork(): void {}
  setDefaultEncoding(): this { return this; }

}

/** A readable fed by pushes (stdin from the host, or a whole file for createReadStream). */
export class ReadableIn extends Emitter {
  readonly readable = true;
  /** True on a terminal's stdin (terminal.ts sets it up). */
  isTTY = false;
  private encoding: string | undefined;
  private queue: Uint8Array[] = [];
  private ended = false;
  private flowing = false;
  private endEmitted = false;
  private waiters: Array<() => void> = [];

  constructor(readonly fd: number, private readonly onDemand: (want: boolean) => void = () => {}) {
    super();
    this.on('newListener', (event: string) => {
      if (event === 'data') queueCallback(() => this.resume());
      if (event === 'readable' || event === 'end') this.onDemand(true);
    });
  }

  setEncoding(encoding: string): this {
    this.encoding = encoding;
    return this;
  }

  resume(): this {
    this.flowing = true;
    this.onDemand(true);
    this.drain();
    return this;
  }

  /** As Node's: a paused stdin no longer keeps the process alive. */
  pause(): this {
    this.flowing = false;
    this.onDemand(false);
    return this;
  }

  push(chunk: Uint8Array | null): void {
    if (chunk === null) this.ended = true;
    else this.queue.push(chunk);
    if (this.flowing) this.drain();
    else if (chunk !== null || this.ended) this.emit('readable');
    this.wake();
  }

  read(): string | Buffer | null {
    if (this.queue.length === 0) {
      if (this.ended) this.finish();
      return null;
    }
    const all = lazyBuffer().concat(this.queue.splice(0));
    return this.encoding ? all.toString(this.encoding as BufferEncoding) : all;
  }

  private drain(): void {
    while (this.flowing && this.queue.length > 0) {
      const chunk = lazyBuffer().from(this.queue.shift()!);
      this.emit('data', this.encoding ? chunk.toString(this.encoding as BufferEncoding) : chunk);
    }
    if (this.ended && this.queue.length === 0) this.finish();
  }

  private finish(): void {
    if (this.endEmitted) return;
    this.endEmitted = true;
    this.onDemand(false);
    queueCallback(() => {
      this.emit('end');
      this.emit('close');
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  pipe<T extends { write(c: unknown): unknown; end(): unknown }>(dest: T): T {
    this.on('data', (c: unknown) => dest.write(c));
    this.on('end', () => dest.end());
    return dest;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<string | Buffer> {
    this.onDemand(true);
    while (true) {
      if (this.queue.length > 0) {
        const chunk = lazyBuffer().from(this.queue.shift()!);
        yield this.encoding ? chunk.toString(this.encoding as BufferEncoding) : chunk;
        continue;
      }
      if (this.ended) {
        this.finish();
        return;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

export function stdoutStream(fd: 1 | 2): WritableOut {
  return new WritableOut(fd, (data) => writeOut(fd, data));
}
