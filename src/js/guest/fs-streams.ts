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
interface StreamModule { Readable: new (o?: object) => object; Writable: new (o?: object) => object }

const READ_CHUNK = 64 * 1024;

export function makeFileStreams(fs: FsCalls, streams: () => StreamModule) {
  let classes: { ReadStream: new (path: unknown, options?: unknown) => object; WriteStream: new (path: unknown, options?: unknown) => object } | undefined;
  const optionsOf = (options: unknown): Record<string, any> => (typeof options === 'string' ? { encoding: options } : ((options as Record<string, any>) ?? {}));

  function build() {
    const { Readable, Writable } = streams();
    // Both streams open their file as Node's do: unless given an fd, at construction, then 'open' and 'ready'.
    const openOnConstruct = (stream: { fd: number | null; path: unknown; flags: string; mode: number; emit(name: string, ...args: unknown[]): unknown }, cb: Cb): void => {
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
    class ReadStream extends (Readable as new (o?: object) => any) {
      path: unknown; fd: number | null; flags: string; mode: number; start: number | undefined; end: number; pos: number | undefined;
      bytesRead = 0; autoClose: boolean;
      constructor(path: unknown, options?: unknown) {
        const o = optionsOf(options);
        super({ highWaterMark: o.highWaterMark ?? READ_CHUNK, encoding: o.encoding, emitClose: o.emitClose ?? true, signal: o.signal });
        this.path = typeof o.fd === 'number' ? undefined : path;
        this.fd = typeof o.fd === 'number' ? o.fd : null;
        this.flags = o.flags ?? 'r';
        this.mode = o.mode ?? 0o666;
        this.start = o.start;
        this.end = o.end ?? Infinity;
        this.pos = o.start;
        this.autoClose = o.autoClose ?? true;
      }
      get pending(): boolean { return this.fd === null; }
      _construct(cb: Cb): void {
        openOnConstruct(this as unknown as Parameters<typeof openOnConstruct>[0], cb);
      }
      _read(n: number): void {
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
      }
      _destroy(err: Error | null, cb: Cb): void {
        if (this.fd !== null && this.autoClose) {
          try { fs.closeSync(this.fd); } catch (closeErr) { err ??= closeErr as Error; }
          this.fd = null;
        }
        cb(err);
      }
      close(cb?: Cb): void {
        if (typeof cb === 'function') this.once('close', cb);
        this.destroy();
      }
    }
    class WriteStream extends (Writable as new (o?: object) => any) {
      path: unknown; fd: number | null; flags: string; mode: number; pos: number | undefined; bytesWritten = 0; autoClose: boolean;
      constructor(path: unknown, options?: unknown) {
        const o = optionsOf(options);
        super({ highWaterMark: o.highWaterMark, decodeStrings: true, defaultEncoding: o.encoding ?? 'utf8', emitClose: o.emitClose ?? true, signal: o.signal });
        this.path = typeof o.fd === 'number' ? undefined : path;
        this.fd = typeof o.fd === 'number' ? o.fd : null;
        this.flags = o.flags ?? 'w';
        this.mode = o.mode ?? 0o666;
        this.pos = o.start;
        this.autoClose = o.autoClose ?? true;
      }
      get pending(): boolean { return this.fd === null; }
      _construct(cb: Cb): void {
        openOnConstruct(this as unknown as Parameters<typeof openOnConstruct>[0], cb);
      }
      _write(chunk: Uint8Array, _encoding: string, cb: Cb): void {
        try {
          let done = 0;
          while (done < chunk.byteLength) done += fs.writeSync(this.fd!, chunk, done, chunk.byteLength - done, this.pos === undefined ? null : this.pos + done);
          if (this.pos !== undefined) this.pos += done;
          this.bytesWritten += done;
        } catch (err) {
          return cb(err as Error);
        }
        cb();
      }
      _destroy(err: Error | null, cb: Cb): void {
        if (this.fd !== null && this.autoClose) {
          try { fs.closeSync(this.fd); } catch (closeErr) { err ??= closeErr as Error; }
          this.fd = null;
        }
        cb(err);
      }
      close(cb?: Cb): void {
        if (typeof cb === 'function') this.once('close', cb);
        if (this.writableEnded) this.destroy();
        else this.end();
      }
    }
    return { ReadStream, WriteStream };
  }
  const get = () => (classes ??= build());
  return {
    createReadStream: (path: unknown, options?: unknown) => new (get().ReadStream)(path, options),
    createWriteStream: (path: unknown, options?: unknown) => new (get().WriteStream)(path, options),
    get ReadStream() { return get().ReadStream; },
    get WriteStream() { return get().WriteStream; },
  };
}
