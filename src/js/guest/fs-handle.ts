import { lazyBuffer } from './lazy.js';
import { nodeFs } from './fs-node.js';
import { nodeRequire } from './node/internal.js';

/**
 * `fs.promises`' FileHandle as Node 20.19 has it (lib/internal/fs/promises.js): an
 * EventEmitter over an fd of the VM, its methods Node's argument handling and results
 * (`{ bytesRead, buffer }`, ...), 'close' emitted on close, EBADF "file closed" after it,
 * a close deferred while an operation holds the handle. Written on the guest's fd calls
 * (each one blocking host call) rather than vendored: Node's class sits on a C++ binding
 * (openFileHandle, kUsePromises, FileHandle.close) the VM does not have.
 */
type AnyFn = (...args: any[]) => any;
export interface HandleFs {
  openSync(p: unknown, flags?: unknown, mode?: unknown): number;
  closeSync(fd: number): void;
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number;
  writeSync: AnyFn; readvSync: AnyFn; writevSync: AnyFn; readFileSync: AnyFn; fstatSync: AnyFn; ftruncateSync: AnyFn;
  fchmodSync: AnyFn; fchownSync: AnyFn; futimesSync: AnyFn; fsyncSync: AnyFn; fdatasyncSync: AnyFn;
}
interface Deps {
  events: () => { EventEmitter: new () => { emit(name: string, ...args: unknown[]): boolean } };
  streams: () => { ReadStream: new (path: unknown, options: unknown) => unknown; WriteStream: new (path: unknown, options: unknown) => unknown };
  readline: () => { Interface: new (options: unknown) => unknown };
}

const kFd = Symbol('kFd');
const kRefs = Symbol('kRefs');
const kClosePromise = Symbol('kClosePromise');
const kCloseResolve = Symbol('kCloseResolve');
const kCloseReject = Symbol('kCloseReject');
/** A stream over a handle holds it (Node's internal/fs/streams.js calls these), so a close waits for the stream. */
export const kRef = Symbol('kRef');
export const kUnref = Symbol('kUnref');

/** Node writes a whole file in pieces of this many bytes between abort checks (kWriteFileMaxChunkSize). */
const WRITE_CHUNK = 512 * 1024;

function later<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => resolve(fn()));
}

function bytesView(view: ArrayBufferView): Uint8Array {
  return view instanceof Uint8Array ? view : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function checkAborted(signal: { aborted?: boolean; reason?: unknown } | undefined): void {
  if (signal?.aborted) throw new (nodeRequire('internal/errors').AbortError)(undefined, { cause: signal.reason });
}

function isCustomIterable(obj: unknown): boolean {
  return obj != null && typeof (obj as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function' && !ArrayBuffer.isView(obj) && typeof obj !== 'string'
    || obj != null && typeof (obj as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

export function makeFileHandle(fs: HandleFs, deps: Deps) {
  let FileHandleClass: (new (fd: number) => any) | undefined;
  /** Set when the class is built: an operation on an open handle, and writeFile's chunked write. */
  let fsCallOn: (handle: any, fn: () => unknown) => Promise<unknown> = async () => undefined;
  let writeAllOn: (handle: any, data: any, signal: any, encoding: string | undefined) => Promise<void> = async () => undefined;

  function build(): new (fd: number) => any {
    const { EventEmitter } = deps.events();

    /** Runs one operation on an open handle, holding it so that a close waits for the operation. */
    async function fsCall(syscall: string, handle: any, fn: () => unknown): Promise<any> {
      // A method called on something else (`handle.stat.call({})`): Node's internal assertion.
      if (handle?.[kRefs] === undefined) nodeRequire('internal/assert')(false, 'handle must be an instance of FileHandle');
      if (handle[kFd] === -1) {
        const err = new Error('file closed') as Error & { code: string; syscall: string };
        err.code = 'EBADF';
        err.syscall = syscall;
        throw err;
      }
      try {
        handle[kRef]();
        return await fn();
      } finally {
        handle[kUnref]();
      }
    }

    function read(fd: number, bufferOrParams: any, offset: any, length: any, position: any) {
      const u = nodeFs();
      let buffer = bufferOrParams;
      if (!ArrayBuffer.isView(buffer)) {
        if (bufferOrParams !== undefined) u.validateObject(bufferOrParams, 'options', u.kValidateObjectAllowNullable);
        const p = bufferOrParams ?? {};
        buffer = p.buffer === undefined ? (lazyBuffer() as unknown as { alloc(n: number): Uint8Array }).alloc(16384) : p.buffer;
        offset = p.offset === undefined ? 0 : p.offset;
        length = p.length === undefined ? buffer.byteLength - offset : p.length;
        position = p.position === undefined ? null : p.position;
        u.validateBuffer(buffer);
      }
      if (offset !== null && typeof offset === 'object') {
        const o = offset;
        offset = o.offset === undefined ? 0 : o.offset;
        length = o.length === undefined ? buffer.byteLength - offset : o.length;
        position = o.position === undefined ? null : o.position;
      }
      if (offset == null) offset = 0;
      else u.validateInteger(offset, 'offset', 0);
      length ??= buffer.byteLength - offset;
      if (length === 0) return { __proto__: null, bytesRead: length, buffer };
      if (buffer.byteLength === 0) throw new (u.codes.ERR_INVALID_ARG_VALUE!)('buffer', buffer, 'is empty and cannot be written');
      u.validateOffsetLengthRead(offset, length, buffer.byteLength);
      const at = Number.isSafeInteger(position) ? position : null;
      const bytesRead = fs.readSync(fd, bytesView(buffer), offset, length, at) || 0;
      return { __proto__: null, bytesRead, buffer };
    }

    function write(fd: number, buffer: any, offsetOrOptions: any, length: any, position: any) {
      const u = nodeFs();
      if (buffer?.byteLength === 0) return { __proto__: null, bytesWritten: 0, buffer };
      let offset = offsetOrOptions;
      if (ArrayBuffer.isView(buffer)) {
        if (typeof offset === 'object') {
          const o = offsetOrOptions ?? {};
          offset = o.offset === undefined ? 0 : o.offset;
          length = o.length === undefined ? buffer.byteLength - offset : o.length;
          position = o.position === undefined ? null : o.position;
        }
        if (offset == null) offset = 0;
        else u.validateInteger(offset, 'offset', 0);
        if (typeof length !== 'number') length = buffer.byteLength - offset;
        if (typeof position !== 'number') position = null;
        u.validateOffsetLengthWrite(offset, length, buffer.byteLength);
        const bytesWritten = fs.writeSync(fd, bytesView(buffer), offset, length, position) || 0;
        return { __proto__: null, bytesWritten, buffer };
      }
      u.validateStringAfterArrayBufferView(buffer, 'buffer');
      u.validateEncoding(buffer, length);
      const bytesWritten = fs.writeSync(fd, buffer, offset, length) || 0;
      return { __proto__: null, bytesWritten, buffer };
    }

    /** writeFile/appendFile on a handle: at the handle's position, a chunk at a time, checking the signal between chunks. */
    async function writeAll(fd: number, data: any, signal: any, encoding: string | undefined): Promise<void> {
      checkAborted(signal);
      const writeBytes = async (bytes: Uint8Array) => {
        let remaining = bytes.byteLength;
        while (remaining > 0) {
          const n = fs.writeSync(fd, bytes, bytes.byteLength - remaining, Math.min(WRITE_CHUNK, remaining), null);
          remaining -= n;
          await undefined;
          checkAborted(signal);
        }
      };
      if (isCustomIterable(data)) {
        for await (const chunk of data) {
          checkAborted(signal);
          await writeBytes(ArrayBuffer.isView(chunk) ? bytesView(chunk) : lazyBuffer().from(chunk, (encoding || 'utf8') as BufferEncoding));
        }
        return;
      }
      await writeBytes(bytesView(data));
    }

    function writeFileOn(handle: any, data: any, options: any, flag: string) {
      const u = nodeFs();
      let o = u.getOptions(options, { encoding: 'utf8', mode: 0o666, flag, flush: false });
      if (flag === 'a') o = { ...u.copyObject(o), flag: o.flag || 'a' };
      u.validateBoolean(o.flush ?? false, 'options.flush');
      if (!ArrayBuffer.isView(data) && !isCustomIterable(data)) {
        u.validateStringAfterArrayBufferView(data, 'data');
        data = lazyBuffer().from(data, o.encoding || 'utf8');
      }
      u.validateAbortSignal(o.signal, 'options.signal');
      return fsCall('writeFile', handle, () => writeAll(handle[kFd], data, o.signal, o.encoding));
    }

    // Node mixes EventEmitter's methods in (EventEmitterMixin): a handle emits, but is no instanceof EventEmitter.
    class Emitting {
      constructor() { (EventEmitter as unknown as AnyFn).call(this); }
    }
    const methods: Partial<Record<string, PropertyDescriptor>> = Object.getOwnPropertyDescriptors(EventEmitter.prototype);
    Reflect.deleteProperty(methods, 'constructor');
    Object.defineProperties(Emitting.prototype, methods as PropertyDescriptorMap);

    class FileHandle extends (Emitting as new () => any) {
      [kFd]: number;
      [kRefs] = 1;
      [kClosePromise]: Promise<void> | null | undefined = null;
      [kCloseResolve]?: () => void;
      [kCloseReject]?: (err: unknown) => void;

      constructor(fd: number) {
        super();
        this[kFd] = fd;
      }

      get fd(): number { return this[kFd]; }
      appendFile(data: unknown, options?: unknown) { return writeFileOn(this, data, options, 'a'); }
      chmod(mode: unknown) { return fsCall('fchmod', this, () => fs.fchmodSync(this[kFd], mode)); }
      chown(uid: unknown, gid: unknown) { return fsCall('fchown', this, () => fs.fchownSync(this[kFd], uid, gid)); }
      datasync() { return fsCall('fdatasync', this, () => fs.fdatasyncSync(this[kFd])); }
      sync() { return fsCall('fsync', this, () => fs.fsyncSync(this[kFd])); }
      read(buffer?: unknown, offset?: unknown, length?: unknown, position?: unknown) {
        return fsCall('read', this, () => read(this[kFd], buffer, offset, length, position));
      }
      readv(buffers: unknown, position?: unknown) {
        return fsCall('readv', this, () => {
          nodeFs().validateBufferArray(buffers);
          const list = buffers as ArrayBufferView[];
          const bytesRead = list.length === 0 ? 0 : fs.readvSync(this[kFd], list.map(bytesView), typeof position === 'number' ? position : null) || 0;
          return { __proto__: null, bytesRead, buffers };
        });
      }
      readFile(options?: unknown) {
        const o = nodeFs().getOptions(options, { flag: 'r' });
        return fsCall('readFile', this, () => {
          checkAborted(o.signal);
          return fs.readFileSync(this[kFd], { encoding: o.encoding });
        });
      }
      readLines(options?: unknown) {
        return new (deps.readline().Interface)({ input: this.createReadStream(options as object | undefined), crlfDelay: Infinity });
      }
      stat(options?: unknown) { return fsCall('fstat', this, () => fs.fstatSync(this[kFd], ...(options === undefined ? [] : [options]))); }
      truncate(len: unknown = 0) { return fsCall('ftruncate', this, () => fs.ftruncateSync(this[kFd], len)); }
      utimes(atime: unknown, mtime: unknown) { return fsCall('futimes', this, () => fs.futimesSync(this[kFd], atime, mtime)); }
      write(buffer: unknown, offset?: unknown, length?: unknown, position?: unknown) {
        return fsCall('write', this, () => write(this[kFd], buffer, offset, length, position));
      }
      writev(buffers: unknown, position?: unknown) {
        return fsCall('writev', this, () => {
          nodeFs().validateBufferArray(buffers);
          const list = buffers as ArrayBufferView[];
          const bytesWritten = list.length === 0 ? 0 : fs.writevSync(this[kFd], list, typeof position === 'number' ? position : null) || 0;
          return { __proto__: null, bytesWritten, buffers };
        });
      }
      writeFile(data: unknown, options?: unknown) { return writeFileOn(this, data, options, 'w'); }

      /** An own property, as Node's (`const { close } = handle` works). */
      close = (): Promise<void> => {
        if (this[kFd] === -1) return Promise.resolve();
        if (this[kClosePromise]) return this[kClosePromise]!;
        this[kRefs]--;
        if (this[kRefs] === 0) {
          const fd = this[kFd];
          this[kFd] = -1;
          this[kClosePromise] = later(() => fs.closeSync(fd)).finally(() => { this[kClosePromise] = undefined; });
        } else {
          this[kClosePromise] = new Promise<void>((resolve, reject) => {
            this[kCloseResolve] = resolve;
            this[kCloseReject] = reject;
          }).finally(() => {
            this[kClosePromise] = undefined;
            this[kCloseReject] = undefined;
            this[kCloseResolve] = undefined;
          });
        }
        this.emit('close');
        return this[kClosePromise]!;
      };

      async [(Symbol as unknown as { asyncDispose: symbol }).asyncDispose ?? Symbol.for('nodejs.asyncDispose')]() {
        return this.close();
      }

      createReadStream(options?: object) {
        return new (deps.streams().ReadStream)(undefined, { ...options, fd: this });
      }
      createWriteStream(options?: object) {
        return new (deps.streams().WriteStream)(undefined, { ...options, fd: this });
      }

      [kRef]() { this[kRefs]++; }
      [kUnref]() {
        this[kRefs]--;
        if (this[kRefs] === 0) {
          const fd = this[kFd];
          this[kFd] = -1;
          later(() => fs.closeSync(fd)).then(this[kCloseResolve], this[kCloseReject]);
        }
      }
    }
    Object.defineProperty(FileHandle, 'name', { value: 'FileHandle' });
    fsCallOn = (handle, fn) => fsCall('writeFile', handle, fn);
    writeAllOn = (handle, data, signal, encoding) => writeAll(handle[kFd], data, signal, encoding);
    return FileHandle;
  }

  const FileHandle = () => (FileHandleClass ??= build());
  const isFileHandle = (v: unknown): v is { fd: number; close(): Promise<void>; on(e: string, l: () => void): unknown } => FileHandleClass !== undefined && v instanceof FileHandleClass;
  return {
    isFileHandle,
    /** The class, for Node's internal/fs/promises (its streams check `fd instanceof FileHandle`). */
    FileHandle,
    /** fs.promises.open gives a FileHandle; readFile, writeFile and appendFile take one in place of a path. */
    install(promises: Record<string, unknown>): void {
      promises.open = (path: unknown, flags?: unknown, mode?: unknown) => later(() => new (FileHandle())(fs.openSync(path, flags, mode)));
      // As Node's: a path is opened (a turn later), then written through its handle a chunk at a
      // time, the signal checked before each; data may be an (async) iterable; flush syncs.
      const byPath = async (path: unknown, data: any, o: any, flag: string) => {
        const u = nodeFs();
        const flush = o.flush ?? false;
        u.validateBoolean(flush, 'options.flush');
        if (!ArrayBuffer.isView(data) && !isCustomIterable(data)) {
          u.validateStringAfterArrayBufferView(data, 'data');
          data = lazyBuffer().from(data, o.encoding || 'utf8');
        }
        u.validateAbortSignal(o.signal);
        checkAborted(o.signal);
        const handle = await (promises.open as AnyFn)(path, flag, o.mode);
        try {
          await fsCallOn(handle, () => writeAllOn(handle, data, o.signal, o.encoding));
          if (flush) await handle.sync();
        } finally {
          await handle.close();
        }
      };
      promises.writeFile = (path: unknown, data: unknown, options?: unknown) => later(() => {
        if (isFileHandle(path)) return (path as any).writeFile(data, options);
        const o = nodeFs().getOptions(options, { encoding: 'utf8', mode: 0o666, flag: 'w', flush: false });
        return byPath(path, data, o, o.flag || 'w');
      });
      promises.appendFile = (path: unknown, data: unknown, options?: unknown) => later(() => {
        if (isFileHandle(path)) return (path as any).appendFile(data, options);
        const o = { ...nodeFs().getOptions(options, { encoding: 'utf8', mode: 0o666, flag: 'a' }) };
        o.flag ||= 'a';
        return byPath(path, data, o, o.flag);
      });
      for (const name of ['readFile'] as const) {
        const byPath = promises[name] as AnyFn;
        promises[name] = (target: unknown, ...rest: unknown[]) => (isFileHandle(target) ? (target as unknown as Record<string, AnyFn>)[name]!(...rest) : byPath(target, ...rest));
      }
    },
  };
}
