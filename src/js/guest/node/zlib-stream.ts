/**
 * A zlib stream (createGzip() and the rest): what is written goes through the daemon's
 * engine piece by piece and comes out as the readable side's data. Built on the runtime's
 * minimal readable (../streams.ts); when `stream` is Node's Transform, only this adapter
 * changes.
 */
import { lazyBuffer } from '../lazy.js';
import { ReadableIn } from '../streams.js';
import { callMaxBytes, nodeCall, nodeJob } from './bridge.js';
import { toBytes } from './crypto.js';

/** Z_NO_FLUSH and BROTLI_OPERATION_PROCESS; Z_FULL_FLUSH and BROTLI_OPERATION_FLUSH. */
const NO_FLUSH = 0;
const FULL_FLUSH = 3;
const BROTLI_FLUSH = 1;

export class ZlibStream extends ReadableIn {
  bytesWritten = 0;
  writable = true;
  destroyed = false;
  private id: number | null;
  private readonly flushFlag: number;
  private writeEnded = false;

  constructor(engine: string, options: Record<string, unknown>, private readonly brotli: boolean) {
    super(-1);
    this.id = nodeCall<number>('z.new', [engine, options]);
    this.flushFlag = typeof options.flush === 'number' ? options.flush : NO_FLUSH;
  }

  get _closed(): boolean {
    return this.id === null;
  }

  private run(chunk: Uint8Array, flush: number | undefined): boolean {
    if (this.id === null) return false;
    try {
      const max = callMaxBytes();
      for (let at = 0; at < chunk.byteLength || at === 0; at += max) {
        const last = at + max >= chunk.byteLength;
        const out = nodeJob<Uint8Array>('z.write', [this.id, chunk.slice(at, at + max), last ? flush : NO_FLUSH]);
        if (out.byteLength > 0) this.push(lazyBuffer().from(out.buffer, out.byteOffset, out.byteLength));
        if (last) break;
      }
      this.bytesWritten += chunk.byteLength;
      return true;
    } catch (err) {
      this.fail(err as Error);
      return false;
    }
  }

  private fail(err: Error): void {
    this.id = null;
    this.destroyed = true;
    queueMicrotask(() => {
      this.emit('error', err);
      this.emit('close');
    });
  }

  write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    if (typeof encoding === 'function') [cb, encoding] = [encoding, undefined];
    if (this.writeEnded) {
      queueMicrotask(() => this.emit('error', Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' })));
      return false;
    }
    const ok = this.run(toBytes(chunk, encoding, 'chunk').slice(), this.flushFlag);
    if (ok && typeof cb === 'function') queueMicrotask(cb as () => void);
    return true;
  }

  end(chunk?: unknown, encoding?: unknown, cb?: unknown): this {
    if (typeof chunk === 'function') [cb, chunk] = [chunk, undefined];
    else if (typeof encoding === 'function') [cb, encoding] = [encoding, undefined];
    if (this.writeEnded) return this;
    const data = chunk === undefined || chunk === null ? new Uint8Array(0) : toBytes(chunk, encoding, 'chunk').slice();
    this.writeEnded = true;
    this.writable = false;
    // Undefined: the engine's own finishing flush (finishFlush, or Z_FINISH / BROTLI_OPERATION_FINISH).
    if (!this.run(data, undefined)) return this;
    const id = this.id;
    this.id = null;
    if (id !== null) nodeCall('z.close', [id]);
    queueMicrotask(() => {
      this.emit('finish');
      if (typeof cb === 'function') (cb as () => void)();
      this.push(null);
    });
    this.once('end', () => queueMicrotask(() => this.emit('close')));
    return this;
  }

  flush(kind?: unknown, cb?: unknown): void {
    if (typeof kind === 'function') [cb, kind] = [kind, undefined];
    const flag = typeof kind === 'number' ? kind : this.brotli ? BROTLI_FLUSH : FULL_FLUSH;
    this.run(new Uint8Array(0), flag);
    if (typeof cb === 'function') queueMicrotask(cb as () => void);
  }

  reset(): void {
    if (this.id !== null) nodeCall('z.reset', [this.id]);
  }

  close(cb?: () => void): void {
    if (this.id !== null) nodeCall('z.close', [this.id]);
    this.id = null;
    this.destroyed = true;
    queueMicrotask(() => {
      this.emit('close');
      cb?.();
    });
  }

  destroy(err?: Error): this {
    if (err) this.fail(err);
    else this.close();
    return this;
  }

  cork(): void {}
  uncork(): void {}
}
