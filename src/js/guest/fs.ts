import type { Buffer } from 'buffer';
import { resolvePath } from './cwd.js';
import { bufferRange, readPosition, truncateLength, writePosition } from './fs-args.js';
import { lazyBuffer, lazyPath } from './lazy.js';
import { block, hooks, unwrap } from './hooks.js';
import { writeOut } from './output.js';
import { FSWatcher, watchIterator, type Abortable } from './fs-watch.js';

/**
 * Node's `fs` (sync, callback and promise forms of the common calls) over the VM
 * filesystem. Each call is one blocking hook to the host; paths are made absolute here
 * with the process's cwd, so the host only ever sees VM-absolute paths.
 */
type PathLike = string | Buffer | URL | { href: string };

function call<T>(op: string, ...args: unknown[]): T {
  return unwrap<T>(hooks.fs(op, args));
}

function toPath(p: unknown, name = 'path'): string {
  if (typeof p === 'string') return resolvePath(p);
  if (p instanceof Uint8Array) return resolvePath(lazyBuffer().from(p).toString());
  if (p && typeof p === 'object' && 'href' in p && typeof (p as { href: unknown }).href === 'string') {
    const href = (p as { href: string }).href;
    if (href.startsWith('file://')) return decodeURIComponent(href.slice(7));
  }
  const err = new TypeError(`The "${name}" argument must be of type string or an instance of Buffer or URL. Received ${p === null ? 'null' : typeof p}`) as TypeError & { code: string };
  err.code = 'ERR_INVALID_ARG_TYPE';
  throw err;
}

/** Stdin bytes a `readSync(0)` took from the host but the caller's buffer could not hold. */
let stdinLeftover: Uint8Array = new Uint8Array(0);

function readStdinSome(length: number): Uint8Array {
  if (stdinLeftover.byteLength === 0) stdinLeftover = block<Uint8Array>('stdinSome');
  const out = stdinLeftover.subarray(0, length);
  stdinLeftover = stdinLeftover.subarray(out.byteLength);
  return out;
}

function readStdinAll(): Uint8Array {
  const rest = block<Uint8Array>('stdinAll');
  const all = stdinLeftover.byteLength ? lazyBuffer().concat([stdinLeftover, rest]) : rest;
  stdinLeftover = new Uint8Array(0);
  return all;
}

function isStdio(fd: unknown): fd is 1 | 2 {
  return fd === 1 || fd === 2;
}

function isFd(p: unknown): p is number {
  return typeof p === 'number' && Number.isInteger(p) && p >= 0;
}

function encodingOf(options: unknown): string | undefined {
  if (typeof options === 'string') return options;
  if (options && typeof options === 'object' && 'encoding' in options) return (options as { encoding?: string }).encoding ?? undefined;
  return undefined;
}

function flagOf(options: unknown, fallback: string): string {
  if (options && typeof options === 'object' && 'flag' in options) return String((options as { flag?: string }).flag ?? fallback);
  return fallback;
}

function decode(bytes: Uint8Array, encoding: string | undefined): string | Buffer {
  const buf = lazyBuffer().from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return encoding && encoding !== 'buffer' ? buf.toString(encoding as BufferEncoding) : buf;
}

function toBytes(data: unknown, encoding?: string): string | Uint8Array {
  if (typeof data === 'string') return encoding && encoding !== 'utf8' && encoding !== 'utf-8' ? lazyBuffer().from(data, encoding as BufferEncoding) : data;
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return String(data);
}

interface StatShape {
  type: 'file' | 'directory' | 'symlink';
  size: number; mode: number; uid: number; gid: number; ino: number; nlink: number;
  atimeMs: number; mtimeMs: number; ctimeMs: number; birthtimeMs: number;
}

/** The `is*()` questions Stats and Dirent both answer. */
class Typed {
  constructor(protected readonly kind: StatShape['type']) {}
  isFile() { return this.kind === 'file'; }
  isDirectory() { return this.kind === 'directory'; }
  isSymbolicLink() { return this.kind === 'symlink'; }
  isFIFO() { return false; }
  isSocket() { return false; }
  isBlockDevice() { return false; }
  isCharacterDevice() { return false; }
}

export class Stats extends Typed {
  dev = 1; rdev = 0; blksize = 4096;
  mode: number; nlink: number; uid: number; gid: number; ino: number; size: number; blocks: number;
  atimeMs: number; mtimeMs: number; ctimeMs: number; birthtimeMs: number;
  atime: Date; mtime: Date; ctime: Date; birthtime: Date;
  constructor(s: StatShape) {
    super(s.type);
    this.mode = s.mode; this.nlink = s.nlink; this.uid = s.uid; this.gid = s.gid; this.ino = s.ino; this.size = s.size;
    this.blocks = Math.ceil(s.size / 512);
    this.atimeMs = s.atimeMs; this.mtimeMs = s.mtimeMs; this.ctimeMs = s.ctimeMs; this.birthtimeMs = s.birthtimeMs;
    this.atime = new Date(s.atimeMs); this.mtime = new Date(s.mtimeMs); this.ctime = new Date(s.ctimeMs); this.birthtime = new Date(s.birthtimeMs);
  }
}

export class Dirent extends Typed {
  constructor(readonly name: string, kind: StatShape['type'], readonly parentPath: string) {
    super(kind);
  }
  get path() { return this.parentPath; }
}

function statPath(p: PathLike, follow: boolean, options?: { throwIfNoEntry?: boolean }): Stats | undefined {
  try {
    return new Stats(call<StatShape>('stat', toPath(p), follow));
  } catch (e) {
    if (options?.throwIfNoEntry === false && (e as { code?: string }).code === 'ENOENT') return undefined;
    throw e;
  }
}

const sync = {
  existsSync(p: unknown): boolean {
    try { return call<boolean>('exists', toPath(p)); } catch { return false; }
  },
  accessSync(p: PathLike, mode?: number): void { call('access', toPath(p), mode ?? 0); },
  readFileSync(p: PathLike | number, options?: unknown): string | Buffer {
    const bytes = p === 0 || p === '/dev/stdin' ? readStdinAll() : isFd(p) ? call<Uint8Array>('readFd', p) : call<Uint8Array>('readFile', toPath(p), flagOf(options, 'r'));
    return decode(bytes, encodingOf(options));
  },
  writeFileSync(p: PathLike | number, data: unknown, options?: unknown): void {
    const bytes = toBytes(data, encodingOf(options));
    if (isStdio(p)) writeOut(p, bytes);
    else if (isFd(p)) call('writeFd', p, bytes, null);
    else call('writeFile', toPath(p), bytes, flagOf(options, 'w'), modeOf(options));
  },
  appendFileSync(p: PathLike | number, data: unknown, options?: unknown): void {
    const bytes = toBytes(data, encodingOf(options));
    if (isStdio(p)) writeOut(p, bytes);
    else if (isFd(p)) call('writeFd', p, bytes, null);
    else call('writeFile', toPath(p), bytes, flagOf(options, 'a'), modeOf(options));
  },
  statSync: (p: PathLike, options?: { throwIfNoEntry?: boolean }) => statPath(p, true, options),
  lstatSync: (p: PathLike, options?: { throwIfNoEntry?: boolean }) => statPath(p, false, options),
  fstatSync(fd: number): Stats { return new Stats(call<StatShape>('fstat', fd)); },
  readdirSync(p: PathLike, options?: unknown): Array<string | Buffer | Dirent> {
    return readdirTree(p, options, false);
  },
  mkdirSync(p: PathLike, options?: unknown): string | undefined {
    const recursive = typeof options === 'object' && options !== null && !!(options as { recursive?: boolean }).recursive;
    return call<string | undefined>('mkdir', toPath(p), recursive, modeOf(options)) ?? undefined;
  },
  mkdtempSync(prefix: string): string { return call<string>('mkdtemp', toPath(prefix)); },
  rmSync(p: PathLike, options?: { recursive?: boolean; force?: boolean }): void {
    call('rm', toPath(p), !!options?.recursive, !!options?.force);
  },
  rmdirSync(p: PathLike, options?: { recursive?: boolean }): void { call('rmdir', toPath(p), !!options?.recursive); },
  unlinkSync(p: PathLike): void { call('unlink', toPath(p)); },
  renameSync(from: PathLike, to: PathLike): void { call('rename', toPath(from, 'oldPath'), toPath(to, 'newPath')); },
  copyFileSync(from: PathLike, to: PathLike, mode?: number): void { call('copyFile', toPath(from, 'src'), toPath(to, 'dest'), mode ?? 0); },
  cpSync(from: PathLike, to: PathLike, options?: { recursive?: boolean }): void { call('cp', toPath(from, 'src'), toPath(to, 'dest'), !!options?.recursive); },
  symlinkSync(target: PathLike, p: PathLike): void { call('symlink', String(target), toPath(p)); },
  readlinkSync(p: PathLike, options?: unknown): string | Buffer {
    const target = call<string>('readlink', toPath(p));
    return encodingOf(options) === 'buffer' ? lazyBuffer().from(target) : target;
  },
  linkSync(existing: PathLike, p: PathLike): void { call('link', toPath(existing, 'existingPath'), toPath(p, 'newPath')); },
  realpathSync(p: PathLike): string { return call<string>('realpath', toPath(p)); },
  truncateSync(p: PathLike, len?: number): void { call('truncate', toPath(p), truncateLength(len)); },
  ftruncateSync(fd: number, len?: number): void { call('ftruncate', fd, truncateLength(len)); },
  chmodSync(p: PathLike, mode: number | string): void { call('chmod', toPath(p), parseMode(mode)); },
  fchmodSync(fd: number, mode: number | string): void { call('fchmod', fd, parseMode(mode)); },
  chownSync(p: PathLike, uid: number, gid: number): void { call('chown', toPath(p), uid, gid); },
  utimesSync(p: PathLike, atime: unknown, mtime: unknown): void { call('utimes', toPath(p), timeOf(atime), timeOf(mtime)); },
  openSync(p: PathLike, flags?: string | number, mode?: number): number { return call<number>('open', toPath(p), flags ?? 'r', mode ?? 0o666); },
  closeSync(fd: number): void { call('close', fd); },
  fsyncSync(fd: number): void { call('fstat', fd); },
  readSync(fd: number, buffer: Uint8Array, offsetOrOptions?: unknown, length?: number, position?: number | bigint | null): number {
    let offsetArg: unknown = offsetOrOptions;
    if (offsetOrOptions && typeof offsetOrOptions === 'object') {
      const o = offsetOrOptions as { offset?: number; length?: number; position?: number | null };
      offsetArg = o.offset; length = o.length; position = o.position;
    }
    const { offset, length: want } = bufferRange(offsetArg, length, buffer.byteLength, true);
    if (want === 0) return 0;
    const at = readPosition(position, want);
    const bytes = fd === 0 ? readStdinSome(want) : call<Uint8Array>('read', fd, want, at);
    buffer.set(bytes, offset);
    return bytes.byteLength;
  },
  writeSync(fd: number, data: unknown, offsetOrPosition?: unknown, lengthOrEncoding?: unknown, position?: number | null): number {
    if (isStdio(fd)) {
      let bytes = typeof data === 'string' ? toBytes(data, typeof lengthOrEncoding === 'string' ? lengthOrEncoding : undefined) : (toBytes(data) as Uint8Array);
      // writeSync(fd, buffer, offset, length) writes that range, to stdout as to a file.
      if (typeof data !== 'string' && typeof bytes !== 'string') {
        const { offset, length } = bufferRange(offsetOrPosition, lengthOrEncoding, bytes.byteLength, false);
        bytes = bytes.subarray(offset, offset + length);
      }
      writeOut(fd, bytes);
      return typeof bytes === 'string' ? lazyBuffer().byteLength(bytes) : bytes.byteLength;
    }
    if (typeof data === 'string') {
      return call<number>('writeFd', fd, toBytes(data, typeof lengthOrEncoding === 'string' ? lengthOrEncoding : undefined), writePosition(offsetOrPosition));
    }
    const view = toBytes(data) as Uint8Array;
    const { offset, length } = bufferRange(offsetOrPosition, lengthOrEncoding, view.byteLength, false);
    return call<number>('writeFd', fd, view.subarray(offset, offset + length), writePosition(position));
  },
};

type Listing = Array<{ name: string; type: StatShape['type'] }>;

/** The path as the caller gave it, which Node keeps in `Dirent.parentPath` and joins onto. */
function givenPath(p: unknown): string {
  if (typeof p === 'string') return p;
  if (p instanceof Uint8Array) return lazyBuffer().from(p).toString();
  return toPath(p);
}

/**
 * A directory's entries, sorted by name, as the daemon gives them: a page per call (at most
 * AGENTOS_FS_READDIR_PAGE_MAX entries), each asked from the last name of the one before.
 */
function listDir(path: string): Listing {
  const out: Listing = [];
  for (let after: string | null = null; ; ) {
    const page: { entries: Listing; next: string | null } = call('readdir', path, after);
    for (const e of page.entries) out.push(e);
    if (page.next === null) return out;
    after = page.next;
  }
}

/**
 * `readdir`, with `recursive` as Node 20 walks it: the sync and callback forms breadth-first,
 * the promise form depth-first from the last directory listed (Node's fs/promises pops its
 * queue). Without `withFileTypes` a symlink to a directory is followed, with it it is not.
 */
function readdirTree(p: unknown, options: unknown, lifo: boolean): Array<string | Buffer | Dirent> {
  const o = (options && typeof options === 'object' ? options : {}) as { withFileTypes?: boolean; recursive?: boolean };
  const encoding = encodingOf(options);
  const asName = (name: string): string | Buffer => (encoding === 'buffer' ? lazyBuffer().from(name) : name);
  const base = givenPath(p);
  const list = (dir: string) => listDir(toPath(dir));
  if (!o.recursive) {
    const entries = list(base);
    return o.withFileTypes ? entries.map((e) => new Dirent(e.name, e.type, base)) : entries.map((e) => asName(e.name));
  }
  const path = lazyPath();
  const followsToDir = (full: string) => {
    try {
      return statPath(full, true)!.isDirectory();
    } catch {
      return false;
    }
  };
  const isDir = (full: string, type: StatShape['type']) => type === 'directory' || (type === 'symlink' && !o.withFileTypes && followsToDir(full));
  const results: Array<string | Buffer | Dirent> = [];
  // The promise form lists a directory as it queues it, the others as they reach it.
  const queue: Array<[string, Listing | undefined]> = [[base, list(base)]];
  for (let i = 0; queue.length > (lifo ? 0 : i); i++) {
    const [dir, listed] = lifo ? queue.pop()! : queue[i]!;
    for (const e of listed ?? list(dir)) {
      const full = path.join(dir, e.name);
      results.push(o.withFileTypes ? new Dirent(e.name, e.type, dir) : asName(path.relative(base, full)));
      if (isDir(full, e.type)) queue.push([full, lifo ? list(full) : undefined]);
    }
    if (!lifo) queue[i] = ['', []];
  }
  return results;
}

function modeOf(options: unknown): number | undefined {
  if (options && typeof options === 'object' && 'mode' in options) return parseMode((options as { mode: number | string }).mode);
  return undefined;
}
function parseMode(mode: number | string): number {
  return typeof mode === 'string' ? Number.parseInt(mode, 8) : mode;
}
function timeOf(t: unknown): number {
  if (t instanceof Date) return t.getTime();
  if (typeof t === 'string') return Number(t) * 1000;
  return Number(t) * 1000;
}

type AnyFn = (...args: unknown[]) => unknown;

/** `fs.promises`: the sync calls, settled as promises. */
const promises: Record<string, AnyFn> = {};
/** Callback forms: the sync calls, with the callback run on a later microtask. */
const callbacks: Record<string, AnyFn> = {};

const ASYNC_NAMES = [
  'access', 'readFile', 'writeFile', 'appendFile', 'stat', 'lstat', 'fstat', 'readdir', 'mkdir', 'mkdtemp', 'rm', 'rmdir',
  'unlink', 'rename', 'copyFile', 'cp', 'symlink', 'readlink', 'link', 'realpath', 'truncate', 'ftruncate', 'chmod', 'fchmod',
  'chown', 'utimes', 'open', 'close', 'fsync', 'read', 'write',
] as const;

for (const name of ASYNC_NAMES) {
  const fn = (sync as unknown as Record<string, AnyFn>)[`${name}Sync`]!;
  promises[name] = (...args: unknown[]) => new Promise((resolve) => resolve(fn(...args)));
  callbacks[name] = (...args: unknown[]) => {
    const cb = args.pop();
    if (typeof cb !== 'function') throw new TypeError('The "cb" argument must be of type function');
    let result: unknown;
    try {
      result = fn(...args);
    } catch (err) {
      queueMicrotask(() => cb(err));
      return;
    }
    queueMicrotask(() => (name === 'read' || name === 'write' ? cb(null, result, args[1]) : cb(null, result)));
  };
}
promises.readdir = (p: unknown, options?: unknown) => new Promise((resolve) => resolve(readdirTree(p, options, true)));
const readdirCallback = callbacks.readdir!;
// Node 20 walks a recursive readdir synchronously and calls back before returning.
callbacks.readdir = (...args: unknown[]) => {
  const options = args[1];
  if (typeof options === 'object' && options !== null && (options as { recursive?: unknown }).recursive === true && typeof args[2] === 'function') {
    (args[2] as (err: null, r: unknown) => void)(null, readdirTree(args[0], options, false));
    return;
  }
  return readdirCallback(...args);
};
callbacks.exists = (p: unknown, cb: unknown) => {
  const found = sync.existsSync(p);
  queueMicrotask(() => (cb as (b: boolean) => void)(found));
};

/** fs.watch(filename[, options][, listener]): options a string (the encoding) or {recursive, encoding, persistent, signal}. */
function watch(filename: unknown, options?: unknown, listener?: unknown): FSWatcher {
  if (typeof options === 'function') {
    listener = options;
    options = undefined;
  }
  const o = (typeof options === 'string' ? { encoding: options } : (options ?? {})) as { recursive?: boolean; encoding?: string; persistent?: boolean; signal?: Abortable };
  const root = toPath(filename, 'filename');
  const isDir = sync.statSync(root)!.isDirectory();
  const watcher = new FSWatcher(root, o.recursive === true, isDir, o.encoding, listener as ((e: string, f: string | null) => void) | undefined);
  if (o.persistent === false) watcher.unref();
  o.signal?.addEventListener('abort', () => watcher.close());
  return watcher;
}
promises.watch = ((filename: unknown, options?: unknown) => {
  const o = (typeof options === 'string' ? { encoding: options } : (options ?? {})) as { signal?: Abortable; persistent?: boolean; recursive?: boolean; encoding?: string };
  return watchIterator(watch(filename, { ...o, signal: undefined }), o.signal);
}) as AnyFn;

export const constants = {
  F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1,
  O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: 0o100, O_EXCL: 0o200, O_TRUNC: 0o1000, O_APPEND: 0o2000,
  S_IFMT: 0o170000, S_IFREG: 0o100000, S_IFDIR: 0o040000, S_IFLNK: 0o120000,
  COPYFILE_EXCL: 1,
};

export function createFs(streams: Record<string, AnyFn>) {
  return { ...sync, ...callbacks, ...streams, watch, FSWatcher, promises: { ...promises, constants }, constants, Stats, Dirent, ...constants };
}

export const fsPromises = { ...promises, constants };
