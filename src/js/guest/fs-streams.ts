import { lazyBuffer } from './lazy.js';

/**
 * fs.ReadStream and fs.WriteStream as Node 20 has them: real Readable/Writable streams (the
 * `stream` builtin) over the VM filesystem's fds, opened in `_construct`, read `highWaterMark`
 * bytes at a time (64 KiB) from `start` to `end`, closed on destroy unless `autoClose: false`.
 */
interface FsCalls {
  openSync(p: unknown, flags?: string | number, mode?: number): number;
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number;
  writeSync(fd: number, data: Uint8Array, offset: number, length: number, position: number | null): number;
  closeSync(fd: number): void;
}
type Cb = (err?: Error | null) => void;
type Fn = (...args: unknown[]) => unknown;
interface Handle { fd: number; close(): Promise<void>; on(event: string, listener: () => void): unknown }
/** The state Node's fs streams keep on themselves, and the stream methods used on it. */
interface FileStream {
  path: unknown; fd: number | null; flags: string; mode: number; start?: number; end: number; pos: number | undefined;
  bytesRead: number; bytesWritten: number; autoClose: boolean; handle?: Handle; writableEnded: boolean;
  emit(name: string, ...args: unknown[]): unknown; once(name: string, cb: Cb): unknown; push(chunk: unknown): boolean;
  destroy(err?: unknown): unknown; close(cb?: Cb): void;
}
interface StreamModule { Readable: new (o?: object) => object; Writable: new (o?: object) => object }

const READ_CHUNK = 64 * 1024;

export function makeFileStreams(fs: FsCalls, streams: () => StreamModule, isHandle: (v: unknown) => v is Handle = (_v): _v is Handle => false) {
  let classes: { ReadStream: new (path: unknown, options?: unknown) => object; WriteStream: new (path: unknown, options?: unknown) => object } | undefined;
  const optionsOf = (options: unknown): Record<string, any> => (typeof options === 'string' ? { encoding: options } : ((options as Record<string, any>) ?? {}));

  function build() {
    const { Readable, Writable } = streams();
    // Both streams open their file as Node's do: unless given an fd, at construction, then 'open' and 'ready'.
    const openOnConstruct = (stream: FileStream, cb: Cb): void => {
      if (stream.fd !== null) return cb();
      try {
        stream.fd = fs.openSync(stream.path, stream.flags, stream.mode) as number;
      } catch (err) {
        return cb(err as Error);
      }
      stream.emit('open', stream.fd);
      stream.emit('ready');
      cb();
    };
    /** A FileHandle given as `fd` (FileHandle.createReadStream): its fd is read, closing either closes both. */
    const takeFd = (stream: FileStream, fd: unknown): number | null => {
      if (isHandle(fd)) {
        stream.handle = fd;
        fd.on('close', () => stream.close());
        return fd.fd;
      }
      return typeof fd === 'number' ? fd : null;
    };
    const destroyFd = (stream: FileStream, err: Error | null, cb: Cb): void => {
      if (stream.fd === null || !stream.autoClose) return cb(err);
      const fd = stream.fd;
      stream.fd = null;
      if (stream.handle) {
        stream.handle.close().then(() => cb(err), (closeErr: Error) => cb(err ?? closeErr));
        return;
      }
      try { fs.closeSync(fd); } catch (closeErr) { err ??= closeErr as Error; }
      cb(err);
    };
    // Functions, not classes, as Node's: callable without `new` and through `.call(this)` by code that inherits from them.
    function ReadStream(this: FileStream, path: unknown, options?: unknown): unknown {
      if (!(this instanceof ReadStream)) return new (ReadStream as unknown as new (p: unknown, o: unknown) => object)(path, options);
      const o = optionsOf(options);
      (Readable as unknown as Fn).call(this, { highWaterMark: o.highWaterMark ?? READ_CHUNK, encoding: o.encoding, emitClose: o.emitClose ?? true, signal: o.signal });
      this.fd = takeFd(this, o.fd);
      this.path = this.fd === null ? path : undefined;
      this.flags = o.flags ?? 'r';
      this.mode = o.mode ?? 0o666;
      this.start = o.start;
      this.end = o.end ?? Infinity;
      this.pos = o.start;
      this.bytesRead = 0;
      this.autoClose = o.autoClose ?? true;
      return undefined;
    }
    Object.setPrototypeOf(ReadStream.prototype, Readable.prototype);
    Object.setPrototypeOf(ReadStream, Readable);
    Object.defineProperties(ReadStream.prototype, {
      pending: { get(this: FileStream) { return this.fd === null; }, configurable: true },
      _construct: { value(this: FileStream, cb: Cb) { openOnConstruct(this, cb); }, writable: true, configurable: true },
      _read: {
        value(this: FileStream, n: number): void {
          const want = Math.min(n, this.end === Infinity ? n : this.end - (this.pos ?? this.bytesRead) + 1);
          if (want <= 0) return void this.push(null);
          const buf = new Uint8Array(want);
          let got: number;
          try {
            got = fs.readSync(this.fd!, buf, 0, want, this.pos ?? null);
          } catch (err) {
            return void this.destroy(err);
          }
          if (this.pos !== undefined) this.pos += got;
          this.bytesRead += got;
          this.push(got > 0 ? lazyBuffer().from(buf.buffer, 0, got) : null);
        },
        writable: true, configurable: true,
      },
      _destroy: { value(this: FileStream, err: Error | null, cb: Cb) { destroyFd(this, err, cb); }, writable: true, configurable: true },
      close: {
        value(this: FileStream, cb?: Cb): void {
          if (typeof cb === 'function') this.once('close', cb);
          this.destroy();
        },
        writable: true, configurable: true,
      },
    });
    function WriteStream(this: FileStream, path: unknown, options?: unknown): unknown {
      if (!(this instanceof WriteStream)) return new (WriteStream as unknown as new (p: unknown, o: unknown) => object)(path, options);
      const o = optionsOf(options);
      (Writable as unknown as Fn).call(this, { highWaterMark: o.highWaterMark, decodeStrings: true, defaultEncoding: o.encoding ?? 'utf8', emitClose: o.emitClose ?? true, signal: o.signal });
      this.fd = takeFd(this, o.fd);
      this.path = this.fd === null ? path : undefined;
      this.flags = o.flags ?? 'w';
      this.mode = o.mode ?? 0o666;
      this.pos = o.start;
      this.bytesWritten = 0;
      this.autoClose = o.autoClose ?? true;
      return undefined;
    }
    Object.setPrototypeOf(WriteStream.prototype, Writable.prototype);
    Object.setPrototypeOf(WriteStream, Writable);
    Object.defineProperties(WriteStream.prototype, {
      pending: { get(this: FileStream) { return this.fd === null; }, configurable: true },
      _construct: { value(this: FileStream, cb: Cb) { openOnConstruct(this, cb); }, writable: true, configurable: true },
      _write: {
        value(this: FileStream, chunk: Uint8Array, _encoding: string, cb: Cb): void {
          try {
            let done = 0;
            while (done < chunk.byteLength) done += fs.writeSync(this.fd!, chunk, done, chunk.byteLength - done, this.pos === undefined ? null : this.pos + done);
            if (this.pos !== undefined) this.pos += done;
            this.bytesWritten += done;
          } catch (err) {
            return cb(err as Error);
          }
          cb();
        },
        writable: true, configurable: true,
      },
      _destroy: { value(this: FileStream, err: Error | null, cb: Cb) { destroyFd(this, err, cb); }, writable: true, configurable: true },
      close: {
        value(this: FileStream, cb?: Cb): void {
          if (typeof cb === 'function') this.once('close', cb);
          if (this.writableEnded) this.destroy();
          else (this as unknown as { end(): void }).end();
        },
        writable: true, configurable: true,
      },
    });
    return { ReadStream, WriteStream } as unknown as { ReadStream: new (path: unknown, options?: unknown) => object; WriteStream: new (path: unknown, options?: unknown) => object };
  }
  const get = () => (classes ??= build());
  return {
    createReadStream: (path: unknown, options?: unknown) => new (get().ReadStream)(path, options),
    createWriteStream: (path: unknown, options?: unknown) => new (get().WriteStream)(path, options),
    get ReadStream() { return get().ReadStream; },
    get WriteStream() { return get().WriteStream; },
  };
}
