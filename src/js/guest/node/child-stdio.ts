/**
 * The stream objects of a ChildProcess (stdin, stdout, stderr), behind one small adapter:
 * today the runtime's minimal streams (../streams.ts); when `stream` becomes Node's real
 * Readable/Writable, only this file changes.
 */
import { Emitter } from '../emitter.js';
import { lazyBuffer } from '../lazy.js';
import { ReadableIn } from '../streams.js';
import { queueCallback } from '../callback-queue.js';

/** A piece of a write sent to the daemon in one call. */
const WRITE_PIECE_BYTES = 64 * 1024;

export type ChildReadable = ReadableIn & { destroyed?: boolean; destroy(): void; readableEncoding: string | null };

export function childReadable(fd: number): ChildReadable {
  const stream = new ReadableIn(fd) as ChildReadable;
  const setEncoding = stream.setEncoding.bind(stream);
  stream.readableEncoding = null;
  stream.setEncoding = (encoding: string) => {
    stream.readableEncoding = encoding;
    return setEncoding(encoding);
  };
  stream.destroy = () => {
    stream.destroyed = true;
    stream.pause();
  };
  return stream;
}

/** Writes to a child's stdin: bytes go to the daemon, which says when the child's buffer is full. */
export class ChildWritable extends Emitter {
  readonly fd = 0;
  writable = true;
  destroyed = false;
  private queue: Array<[Uint8Array, (() => void) | undefined]> = [];
  private waiting = false;
  private ending: (() => void) | undefined;
  private ended = false;

  constructor(private readonly send: (data: Uint8Array) => boolean, private readonly close: () => void) {
    super();
  }

  write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    if (typeof encoding === 'function') [cb, encoding] = [encoding, undefined];
    if (this.ended) {
      const err = Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' });
      queueCallback(() => this.emit('error', err));
      return false;
    }
    const B = lazyBuffer();
    const data = typeof chunk === 'string' ? B.from(chunk, (encoding as BufferEncoding) || 'utf8') : chunk instanceof Uint8Array ? chunk : B.from(String(chunk));
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    // In pieces a child's stdin buffer can always take whole.
    for (let at = 0; at < bytes.byteLength || at === 0; at += WRITE_PIECE_BYTES) {
      const last = at + WRITE_PIECE_BYTES >= bytes.byteLength;
      this.queue.push([bytes.subarray(at, at + WRITE_PIECE_BYTES), last && typeof cb === 'function' ? cb as () => void : undefined]);
    }
    this.pump();
    return !this.waiting;
  }

  end(chunk?: unknown, encoding?: unknown, cb?: unknown): this {
    if (typeof chunk === 'function') [cb, chunk] = [chunk, undefined];
    else if (typeof encoding === 'function') [cb, encoding] = [encoding, undefined];
    if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
    if (this.ended) return this;
    this.ended = true;
    this.writable = false;
    this.ending = () => {
      this.close();
      queueCallback(() => {
        this.emit('finish');
        if (typeof cb === 'function') (cb as () => void)();
        this.emit('close');
      });
    };
    this.pump();
    return this;
  }

  destroy(): this {
    this.destroyed = true;
    this.queue = [];
    if (!this.ended) this.end();
    return this;
  }

  /** The daemon has room again (the child read). */
  drained(): void {
    this.waiting = false;
    this.pump();
    if (!this.waiting && this.queue.length === 0 && !this.ended) this.emit('drain');
  }

  /** The child has gone: what was not written never will be. */
  gone(): void {
    this.queue = [];
    this.waiting = false;
    this.writable = false;
  }

  private pump(): void {
    while (!this.waiting && this.queue.length > 0) {
      const [data, cb] = this.queue[0]!;
      let accepted: boolean;
      try {
        // Nothing to send (an empty write): a zero-length chunk would read as EOF.
        accepted = data.byteLength === 0 || this.send(data);
      } catch (err) {
        this.queue = [];
        queueCallback(() => this.emit('error', err));
        return;
      }
      if (!accepted) {
        this.waiting = true;
        return;
      }
      this.queue.shift();
      if (cb) queueCallback(cb);
    }
    if (!this.waiting && this.queue.length === 0 && this.ending) {
      const done = this.ending;
      this.ending = undefined;
      done();
    }
  }

  cork(): void {}
  uncork(): void {}
  setDefaultEncoding(): this { return this; }
}
