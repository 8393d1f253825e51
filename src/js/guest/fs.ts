import type { Buffer } from 'buffer';
import { resolvePath } from './cwd.js';
import { writePosition } from './fs-args.js';
import { fileMode, fsOptions, isInt32, nodeFs, openFlags, validBoolean, validFd, validMode, validPath } from './fs-node.js';
import { fsConstants } from './fs-constants.js';
import { lazyBuffer, lazyPath } from './lazy.js';
import { block, hooks, unwrap } from './hooks.js';
import { writeOut } from './output.js';
import { makeOpendir } from './fs-dir.js';
import { nodeFsError } from './fs-errors.js';
import { FSWatcher, watchIterator, type Abortable } from './fs-watch.js';
import { queueCallback } from './callback-queue.js';
import { nodeRequire } from './node/internal.js';

/**
 * Node's `fs` (sync, callback and promise forms of the common calls) over the VM
 * filesystem. Each call is one blocking hook to the host; paths are made absolute here
 * with the process's cwd, so the host only ever sees VM-absolute paths.
 */
function call<T>(op: string, ...args: unknown[]): T {
  hostStep();
  hostCalls++;
  const paths = given;
  given = [];
  try {
    return unwrap<T>(hooks.fs(op, args));
  } catch (err) {
    throw nodeFsError(err, paths);
  }
}

/** The paths the next host call was given, as the caller wrote them (its error names them so). */
let given: Array<readonly [string, string]> = [];

/** A path argument as Node checks it (string, Buffer or file: URL, no NUL bytes), made VM-absolute. */
function toPath(p: unknown, name = 'path'): string {
  const valid = validPath(p, name);
  const shown = typeof valid === 'string' ? valid : lazyBuffer().from(valid).toString();
  const path = resolvePath(shown);
  given.push([path, shown]);
  return path;
}

/**
 * Set while a callback form checks its arguments before its callback (in Node's order): the
 * call stops at its first step that would reach the host or the process's stdio.
 */
let checkingOnly = false;
const CHECKED = Symbol('arguments checked');
function hostStep(): void {
  if (checkingOnly) throw CHECKED;
}

let truncateWarned = false;
/** DEP0081, once a process: `truncate` given an fd. */
function showTruncateDeprecation(): void {
  if (truncateWarned) return;
  truncateWarned = true;
  (globalThis as { process?: { emitWarning(m: string, t: string, c: string): void } }).process?.emitWarning(
    'Using fs.truncate with a file descriptor is deprecated. Please use fs.ftruncate with a file descriptor instead.', 'DeprecationWarning', 'DEP0081');
}

/** Counts calls into the host: a callback form throws an error raised before its first call (argument checks) instead of passing it on, as Node does. */
let hostCalls = 0;

/** Stdin bytes a `readSync(0)` took from the host but the caller's buffer could not hold. */
let stdinLeftover: Uint8Array = new Uint8Array(0);

function readStdinSome(length: number): Uint8Array {
  hostStep();
  // Asks for `length` bytes only: a pipe shared with the next process keeps the rest, as read(2) leaves it.
  if (stdinLeftover.byteLength === 0) stdinLeftover = block<Uint8Array>('stdinSome', length);
  const out = stdinLeftover.subarray(0, length);
  stdinLeftover = stdinLeftover.subarray(out.byteLength);
  return out;
}

function readStdinAll(): Uint8Array {
  hostStep();
  const rest = block<Uint8Array>('stdinAll');
  const all = stdinLeftover.byteLength ? lazyBuffer().concat([stdinLeftover, rest]) : rest;
  stdinLeftover = new Uint8Array(0);
  return all;
}

function isStdio(fd: unknown): fd is 1 | 2 {
  if (fd === 1 || fd === 2) hostStep();
  return fd === 1 || fd === 2;
}

function decode(bytes: Uint8Array, encoding: string | undefined): string | Buffer {
  const buf = lazyBuffer().from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return encoding && encoding !== 'buffer' ? buf.toString(encoding as BufferEncoding) : buf;
}

/** A name the VM gives (UTF-8) in the encoding a call asked for, as Node's binding returns it: a Buffer, or its bytes as hex, base64, latin1 ... */
function inEncoding(name: string, encoding: string | null | undefined): string | Buffer {
  if (!encoding || encoding === 'utf8' || encoding === 'utf-8') return name;
  const bytes = lazyBuffer().from(name);
  return encoding === 'buffer' ? bytes : bytes.toString(encoding as BufferEncoding);
}

function toBytes(data: unknown, encoding?: string): string | Uint8Array {
  if (typeof data === 'string') return encoding && encoding !== 'utf8' && encoding !== 'utf-8' ? lazyBuffer().from(data, encoding as BufferEncoding) : data;
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return String(data);
}

interface StatShape {
  type: 'file' | 'directory' | 'symlink' | 'socket';
  size: number; mode: number; uid: number; gid: number; ino: number; nlink: number;
  atimeMs: number; mtimeMs: number; ctimeMs: number; birthtimeMs: number;
  atimeNs?: string; mtimeNs?: string; ctimeNs?: string;
}

const STAT_FIELDS = 18;
const DIRENT_TYPE = { file: 1, directory: 2, symlink: 3, socket: 5 } as const;
type Dirent = { name: string };
function dirent(name: string, type: StatShape['type'], parentPath: string): Dirent {
  return new (nodeFs().Dirent as unknown as new (n: string, t: number, p: string) => Dirent)(name, DIRENT_TYPE[type], parentPath);
}

/**
 * A time as the binding's (seconds, nanoseconds) pair: from the VM's exact nanoseconds where
 * it gives them, else from milliseconds (a float of ns / 1e6, so good to the microsecond):
 * Number(ns) / 1e6 loses the last digits, and Stats' ms would then differ from BigIntStats'.
 */
function timeSpec(ms: number, ns: string | undefined): [bigint, bigint] {
  const total = ns !== undefined ? BigInt(ns) : BigInt(Math.round(ms * 1000)) * 1000n;
  let sec = total / 1_000_000_000n;
  let nsec = total % 1_000_000_000n;
  if (nsec < 0n) {
    nsec += 1_000_000_000n;
    sec -= 1n;
  }
  return [sec, nsec];
}

/** The VM's stat as the array Node's binding fills (dev, mode, ... then sec/nsec pairs), made into Node's own Stats or BigIntStats. */
function toStats(s: StatShape, bigint: boolean): unknown {
  const head = [1, s.mode, s.nlink, s.uid, s.gid, 0, 4096, s.ino, s.size, Math.ceil(s.size / 512)];
  const times: Array<[number, string | undefined]> = [[s.atimeMs, s.atimeNs], [s.mtimeMs, s.mtimeNs], [s.ctimeMs, s.ctimeNs], [s.birthtimeMs, undefined]];
  const out = bigint ? new BigInt64Array(STAT_FIELDS) : new Float64Array(STAT_FIELDS);
  const put = (i: number, v: number | bigint) => (out[i] = (bigint ? BigInt(v) : Number(v)) as never);
  head.forEach((v, i) => put(i, v));
  times.forEach(([ms, ns], i) => {
    const [sec, nsec] = timeSpec(ms, ns);
    put(10 + i * 2, sec);
    put(11 + i * 2, nsec);
  });
  return nodeFs().getStatsFromBinding(out);
}

type StatOptions = { bigint?: boolean; throwIfNoEntry?: boolean };
type Stats = { isDirectory(): boolean; isFile(): boolean };

function statPath(p: unknown, follow: boolean, options: StatOptions = { bigint: false, throwIfNoEntry: true }): Stats | undefined {
  const path = toPath(p);
  try {
    return toStats(call<StatShape>('stat', path, follow), options.bigint === true) as Stats;
  } catch (e) {
    if (options.throwIfNoEntry === false && (e as { code?: string }).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Node's getOptions: undefined/null/a function gives the defaults, a string is the encoding, else an object whose encoding Node knows. */
function opts<T extends object>(options: unknown, defaults: T = {} as T): T & { encoding?: string; flag?: string | number; mode?: number | string; flush?: boolean; signal?: unknown } {
  return fsOptions(options, defaults);
}

function fdOf(fd: unknown): number {
  return validFd(fd);
}

function bytesOf(data: unknown, encoding: string | undefined, name = 'data'): string | Uint8Array {
  if (ArrayBuffer.isView(data)) return toBytes(data);
  if (typeof data !== 'string') nodeFs().validateStringAfterArrayBufferView(data, name);
  return toBytes(data, encoding);
}

/** writeFile/appendFile over a path or an fd, after Node's checks of options and data. */
function writeWhole(p: unknown, data: unknown, options: unknown, flag: string, keepOpen = false): Flushing | undefined {
  const o = opts(options, { encoding: 'utf8', mode: 0o666, flag, flush: false });
  validBoolean(o.flush ?? false, 'options.flush');
  const isUserFd = isInt32(p);
  const flags = openFlags(isUserFd && flag === 'a' ? 'a' : (o.flag || flag));
  const bytes = bytesOf(data, o.encoding ?? 'utf8');
  if (o.flush === true && !isStdio(p)) {
    // Node's steps, through the module's own open/fsync/close (what a caller that replaced them sees).
    const m = fsModule!;
    const fd = isUserFd ? validFd(p) : (m.openSync!(p, flags, o.mode) as number);
    try {
      if (bytes.length > 0) call('writeFd', fd, bytes, null);
    } catch (err) {
      if (!isUserFd) m.closeSync!(fd);
      throw err;
    }
    // The callback form syncs and closes with the callback functions.
    if (keepOpen) return { fd, own: !isUserFd };
    try {
      m.fsyncSync!(fd);
    } finally {
      if (!isUserFd) m.closeSync!(fd);
    }
    return undefined;
  }
  if (isStdio(p)) writeOut(p, bytes);
  else if (isUserFd) call('writeFd', validFd(p), bytes, null);
  else if ((flags & 3) === 0) {
    // Opened for reading only ('r'): Node's open succeeds (or fails as an open does), then its first write fails.
    sync.closeSync(sync.openSync(p, flags, o.mode));
    if (bytes.length > 0) throw Object.assign(new Error('EBADF: bad file descriptor, write'), { errno: -9, syscall: 'write', code: 'EBADF' });
  } else call('writeFile', toPath(p), bytes, flags, fileMode(o.mode, 0o666));
  return undefined;
}

/** A file written for a callback writeFile/appendFile with `flush`: still to be synced, then closed if the call opened it. */
interface Flushing { fd: number; own: boolean }

function appendWhole(p: unknown, data: unknown, options: unknown, keepOpen = false): Flushing | undefined {
  const o = { ...opts(options, { encoding: 'utf8', mode: 0o666, flag: 'a' }) };
  if (!o.flag || isInt32(p)) o.flag = 'a';
  return writeWhole(p, data, o, 'a', keepOpen);
}

const sync = {
  existsSync(p: unknown): boolean {
    let path: string;
    try { path = toPath(p); } catch { return false; }
    try { return call<boolean>('exists', path); } catch { return false; }
  },
  accessSync(p: unknown, mode?: unknown): void {
    const path = toPath(p);
    call('access', path, validMode(mode));
  },
  readFileSync(p: unknown, options?: unknown): string | Buffer {
    const o = opts(options, { flag: 'r' });
    const isUserFd = isInt32(p);
    const path = isUserFd ? validFd(p) : toPath(p);
    const flags = openFlags(o.flag);
    // Node stats a caller's fd before reading it (EBADF names fstat).
    if (isUserFd && p !== 0) call('fstat', path);
    const bytes = p === 0 || p === '/dev/stdin' ? readStdinAll() : isUserFd ? call<Uint8Array>('readFd', path) : call<Uint8Array>('readFile', path, flags);
    return decode(bytes, o.encoding ?? undefined);
  },
  writeFileSync(p: unknown, data: unknown, options?: unknown): void { writeWhole(p, data, options, 'w'); },
  appendFileSync(p: unknown, data: unknown, options?: unknown): void { appendWhole(p, data, options); },
  statSync: (p: unknown, options?: StatOptions) => statPath(p, true, options),
  lstatSync: (p: unknown, options?: StatOptions) => statPath(p, false, options),
  fstatSync(fd: unknown, options: StatOptions = { bigint: false }): unknown { return toStats(call<StatShape>('fstat', fdOf(fd)), options.bigint === true); },
  statfsSync(p: unknown, options: StatOptions = { bigint: false }): unknown {
    const fs = call<{ totalBytes: number; usedBytes: number; totalInodes: number; freeInodes: number }>('statfs', toPath(p));
    const bsize = 4096;
    const free = Math.floor(Math.max(0, fs.totalBytes - fs.usedBytes) / bsize);
    // TMPFS_MAGIC: the VM filesystem lives in memory.
    const values = [0x01021994, bsize, Math.floor(fs.totalBytes / bsize), free, free, fs.totalInodes, fs.freeInodes];
    return nodeFs().getStatFsFromBinding(options.bigint ? values.map(BigInt) : values);
  },
  readdirSync(p: unknown, options?: unknown): Array<string | Buffer | Dirent> {
    return readdirTree(p, options, false);
  },
  mkdirSync(p: unknown, options?: unknown): string | undefined {
    let mode: unknown = 0o777;
    let recursive: unknown = false;
    if (typeof options === 'number' || typeof options === 'string') mode = options;
    else if (options) {
      const o = options as { recursive?: unknown; mode?: unknown };
      if (o.recursive !== undefined) recursive = o.recursive;
      if (o.mode !== undefined) mode = o.mode;
    }
    const path = toPath(p);
    validBoolean(recursive, 'options.recursive');
    const shown = given[given.length - 1]?.[1] ?? path;
    const made = call<string | undefined>('mkdir', path, recursive, fileMode(mode)) ?? undefined;
    if (!recursive || made === undefined) return undefined;
    // Node names the first directory it made as a prefix of the path as given.
    const below = path.slice(made.length);
    return made.startsWith('/') && path.startsWith(made) && shown.endsWith(below) && shown !== path ? shown.slice(0, shown.length - below.length) : made;
  },
  mkdtempSync(prefix: unknown, options?: unknown): string | Buffer {
    const o = opts(options);
    const path = toPath(prefix, 'prefix');
    nodeFs().warnOnNonPortableTemplate(String(prefix));
    const made = call<string>('mkdtemp', path);
    return inEncoding(made, o.encoding);
  },
  rmSync(p: unknown, options?: unknown): void {
    const path = toPath(p);
    // Node's own checks (a directory without `recursive` is ERR_FS_EISDIR), naming the path as given.
    const o = nodeFs().validateRmOptionsSync(validPath(p, 'path'), options, false);
    call('rm', path, !!o.recursive, !!o.force);
  },
  rmdirSync(p: unknown, options?: { recursive?: boolean }): void {
    const valid = validPath(p, 'path');
    if (options?.recursive) {
      nodeFs().emitRecursiveRmdirWarning();
      // Not a directory: Node's rmdir(2) then fails (ENOTDIR), as without `recursive`.
      if (nodeFs().validateRmOptionsSync(valid, { ...options, force: false }, true) !== false) return void call('rmdir', toPath(p), true);
    } else {
      nodeFs().validateRmdirOptions(options);
    }
    call('rmdir', toPath(p), false);
  },
  unlinkSync(p: unknown): void { call('unlink', toPath(p)); },
  renameSync(from: unknown, to: unknown): void { const a = toPath(from, 'oldPath'); call('rename', a, toPath(to, 'newPath')); },
  copyFileSync(from: unknown, to: unknown, mode?: unknown): void {
    const a = toPath(from, 'src');
    const b = toPath(to, 'dest');
    call('copyFile', a, b, validMode(mode));
  },
  cpSync(from: unknown, to: unknown, options?: unknown): void {
    // Node's option checks and defaults (force true, errorOnExist false ...).
    const o = nodeFs().validateCpOptions(options) as { recursive: boolean; force: boolean; errorOnExist: boolean };
    const a = toPath(from, 'src');
    call('cp', a, toPath(to, 'dest'), o.recursive === true, o.force !== false, o.errorOnExist === true);
  },
  symlinkSync(target: unknown, p: unknown, type?: unknown): void {
    const t = nodeFs().getValidatedPath(target, 'target') as string | Uint8Array;
    // Node checks the type (ERR_FS_INVALID_SYMLINK_TYPE) after both paths; Linux ignores it.
    const validType = typeof type === 'string' ? type : null;
    const shownTarget = typeof t === 'string' ? t : lazyBuffer().from(t).toString();
    const path = toPath(p);
    if (validType !== null && validType !== 'dir' && validType !== 'file' && validType !== 'junction') nodeFs().stringToSymlinkType(validType);
    // Node's error names the target as given, then the link: symlink 'target' -> 'path'.
    given.unshift([shownTarget, shownTarget]);
    call('symlink', shownTarget, path);
  },
  readlinkSync(p: unknown, options?: unknown): string | Buffer {
    const o = opts(options);
    const target = call<string>('readlink', toPath(p, 'oldPath'));
    return inEncoding(target, o.encoding);
  },
  linkSync(existing: unknown, p: unknown): void { const a = toPath(existing, 'existingPath'); call('link', a, toPath(p, 'newPath')); },
  realpathSync(p: unknown, options?: unknown): string | Buffer {
    const o = opts(options);
    const path = toPath(p);
    // Node's realpath is JavaScript that lstats each absolute prefix: its error names that.
    given = [];
    let real: string;
    try {
      real = call<string>('realpath', path);
    } catch (err) {
      const e = err as { syscall?: unknown; message: string };
      if (e.syscall === 'realpath') Object.assign(e, { syscall: 'lstat', message: e.message.replace(', realpath ', ', lstat ') });
      throw err;
    }
    return inEncoding(real, o.encoding);
  },
  truncateSync(p: unknown, len?: unknown): void {
    if (typeof p === 'number') {
      showTruncateDeprecation();
      return sync.ftruncateSync(p, len);
    }
    // As Node: the file opened for writing (its errors first), then the length checked.
    const fd = sync.openSync(p, 'r+');
    try {
      sync.ftruncateSync(fd, len === undefined ? 0 : len);
    } finally {
      sync.closeSync(fd);
    }
  },
  ftruncateSync(fd: unknown, len: unknown = 0): void {
    nodeFs().validateInteger(len, 'len');
    call('ftruncate', fdOf(fd), Math.max(0, len as number));
  },
  chmodSync(p: unknown, mode: unknown): void { const path = toPath(p); call('chmod', path, nodeFs().parseFileMode(mode, 'mode')); },
  fchmodSync(fd: unknown, mode: unknown): void { const n = fdOf(fd); call('fchmod', n, nodeFs().parseFileMode(mode, 'mode')); },
  lchmodSync: undefined,
  chownSync(p: unknown, uid: unknown, gid: unknown): void { const path = toPath(p); ids(uid, gid); call('chown', path, uid, gid); },
  lchownSync(p: unknown, uid: unknown, gid: unknown): void { const path = toPath(p); ids(uid, gid); call('chown', path, uid, gid); },
  utimesSync(p: unknown, atime: unknown, mtime: unknown): void {
    const path = toPath(p);
    const u = nodeFs();
    // (Node's utimes names neither time in its errors: both are "time")
    call('utimesNs', path, nanos(u.toUnixTimestamp(atime)), nanos(u.toUnixTimestamp(mtime)), true);
  },
  fchownSync(fd: unknown, uid: unknown, gid: unknown): void { const n = fdOf(fd); ids(uid, gid); call('fchown', n, uid, gid); },
  futimesSync(fd: unknown, atime: unknown, mtime: unknown): void {
    const n = fdOf(fd);
    const u = nodeFs();
    call('futimes', n, nanos(u.toUnixTimestamp(atime, 'atime')), nanos(u.toUnixTimestamp(mtime, 'mtime')));
  },
  lutimesSync(p: unknown, atime: unknown, mtime: unknown): void {
    const path = toPath(p);
    const u = nodeFs();
    call('utimesNs', path, nanos(u.toUnixTimestamp(atime, 'atime')), nanos(u.toUnixTimestamp(mtime, 'mtime')), false);
  },
  openSync(p: unknown, flags?: unknown, mode?: unknown): number {
    const path = toPath(p);
    return call<number>('open', path, openFlags(flags), fileMode(mode, 0o666));
  },
  closeSync(fd: unknown): void { call('close', fdOf(fd)); },
  fsyncSync(fd: unknown): void { call('fstat', fdOf(fd)); },
  fdatasyncSync(fd: unknown): void { call('fstat', fdOf(fd)); },
  readSync(...args: unknown[]): number {
    const [fdArg, buffer] = args as [unknown, Uint8Array];
    let [, , offset, length, position] = args as [unknown, unknown, unknown, unknown, unknown];
    const fd = fdOf(fdArg);
    if (!ArrayBuffer.isView(buffer)) nodeFs().validateBuffer(buffer);
    if (args.length <= 3 || typeof offset === 'object') {
      if (offset !== undefined && offset !== null && (typeof offset !== 'object' || Array.isArray(offset))) nodeFs().validateObject(offset, 'options', nodeFs().kValidateObjectAllowNullable);
      const o = (offset ?? {}) as { offset?: unknown; length?: unknown; position?: unknown };
      const at = o.offset === undefined ? 0 : o.offset;
      ({ length = buffer.byteLength - (at as number), position = null } = o);
      offset = at;
    }
    return readInto(fd, buffer, offset, length, position);
  },
  writeSync(fdArg: unknown, data: unknown, offsetOrOptions?: unknown, length?: unknown, position?: unknown): number {
    const fd = fdOf(fdArg);
    if (ArrayBuffer.isView(data)) {
      let offset = offsetOrOptions;
      if (typeof offset === 'object') {
        const o = (offsetOrOptions ?? {}) as { offset?: unknown; length?: unknown; position?: unknown };
        offset = o.offset ?? 0;
        length = o.length ?? data.byteLength - (offset as number);
        position = o.position ?? null;
      }
      if (offset === undefined || offset === null) offset = 0;
      else if (!isIndex(offset)) nodeFs().validateInteger(offset, 'offset', 0);
      if (typeof length !== 'number') length = data.byteLength - (offset as number);
      const o = offset as number;
      if (!(o <= data.byteLength && isIndex(length) && (length as number) <= data.byteLength - o && (length as number) <= 0x7fffffff)) nodeFs().validateOffsetLengthWrite(offset, length, data.byteLength);
      const view = (toBytes(data) as Uint8Array).subarray(offset as number, (offset as number) + (length as number));
      if (isStdio(fd)) {
        writeOut(fd, view);
        return view.byteLength;
      }
      return call<number>('writeFd', fd, view, writePosition(position));
    }
    if (typeof data !== 'string') nodeFs().validateStringAfterArrayBufferView(data, 'buffer');
    if (length !== undefined && length !== null && length !== 'utf8' && length !== 'utf-8') nodeFs().validateEncoding(data, length);
    const bytes = toBytes(data, typeof length === 'string' ? length : undefined);
    if (isStdio(fd)) {
      writeOut(fd, bytes);
      return typeof bytes === 'string' ? lazyBuffer().byteLength(bytes) : bytes.byteLength;
    }
    return call<number>('writeFd', fd, bytes, writePosition(offsetOrOptions));
  },
  readvSync(fdArg: unknown, buffers: unknown, position?: unknown): number {
    const fd = fdOf(fdArg);
    nodeFs().validateBufferArray(buffers);
    // readv(2) with no buffers is EINVAL, as Node reports it.
    if ((buffers as unknown[]).length === 0) throw Object.assign(new Error('EINVAL: invalid argument, read'), { errno: -22, code: 'EINVAL', syscall: 'read' });
    let at = typeof position === 'number' ? position : null;
    let total = 0;
    for (const buf of buffers as Uint8Array[]) {
      if (buf.byteLength === 0) continue;
      const got = readInto(fd, buf, 0, buf.byteLength, at);
      total += got;
      if (at !== null) at += got;
      if (got < buf.byteLength) break;
    }
    return total;
  },
  writevSync(fdArg: unknown, buffers: unknown, position?: unknown): number {
    const fd = fdOf(fdArg);
    nodeFs().validateBufferArray(buffers);
    const list = buffers as ArrayBufferView[];
    if (list.length === 0) return 0;
    const all = lazyBuffer().concat(list.map((b) => toBytes(b) as Uint8Array));
    if (isStdio(fd)) {
      writeOut(fd, all);
      return all.byteLength;
    }
    return call<number>('writeFd', fd, all, writePosition(typeof position === 'number' ? position : null));
  },
};

/** Node's read checks after its argument shuffling (offset, length, buffer, position), then one read. */
function readInto(fd: number, buffer: Uint8Array, offset: unknown, length: unknown, position: unknown): number {
  if (offset === undefined || offset === null) offset = 0;
  else if (!isIndex(offset)) nodeFs().validateInteger(offset, 'offset', 0);
  const want = (length as number) | 0;
  if (want === 0) return 0;
  if (buffer.byteLength === 0) throw new (nodeFs().codes.ERR_INVALID_ARG_VALUE!)('buffer', buffer, 'is empty and cannot be written');
  if (!(want > 0 && (offset as number) + want <= buffer.byteLength)) nodeFs().validateOffsetLengthRead(offset, want, buffer.byteLength);
  if (position === undefined || position === null) position = -1;
  if (!((typeof position === 'bigint' && position >= -(2n ** 63n) && position <= 2n ** 63n - 1n) || position === -1 || isIndex(position))) nodeFs().validatePosition(position, 'position', want);
  let at = typeof position === 'bigint' ? (position === -1n ? null : Number(position)) : (position as number) === -1 ? null : (position as number);
  // Past 2^53 - 1 (a bigint up to 2^63 - 1 is valid) is past the end of any file the VM can
  // hold: read there, where pread(2) would find the same end of file.
  if (at !== null && at > Number.MAX_SAFE_INTEGER) at = Number.MAX_SAFE_INTEGER;
  // Any negative position (a bigint may be one) reads at the file's position, as libuv's read does.
  if (at !== null && at < 0) at = null;
  const bytes = fd === 0 ? readStdinSome(want) : call<Uint8Array>('read', fd, want, at);
  buffer.set(bytes, offset as number);
  return bytes.byteLength;
}

/** A whole number from 0 to 2^53-1: what Node's integer checks let through without a word. */
function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Seconds (Node's toUnixTimestamp) as the whole nanoseconds the host's utimesNs/futimes take,
 * in a string, cut as libuv's uv__fs_to_timespec cuts them (whole seconds, then the fraction's
 * nanoseconds down to whole microseconds), so a time set reads back as under Node.
 */
function nanos(seconds: number): string {
  let sec = Math.trunc(seconds);
  let nsec = Math.trunc((seconds - sec) * 1e9);
  nsec -= nsec % 1000;
  if (nsec < 0) {
    nsec += 1e9;
    sec -= 1;
  }
  return String(BigInt(sec) * 1_000_000_000n + BigInt(nsec));
}

function ids(uid: unknown, gid: unknown): void {
  const u = nodeFs();
  u.validateInteger(uid, 'uid', -1, u.constants.kMaxUserId);
  u.validateInteger(gid, 'gid', -1, u.constants.kMaxUserId);
}

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
  const o = opts(options) as { withFileTypes?: boolean; recursive?: boolean; encoding?: string };
  toPath(p);
  if (o.recursive != null) validBoolean(o.recursive, 'options.recursive');
  const encoding = o.encoding;
  const asName = (name: string): string | Buffer => inEncoding(name, encoding);
  const base = givenPath(p);
  const list = (dir: string) => listDir(toPath(dir));
  if (!o.recursive) {
    const entries = list(base);
    return o.withFileTypes ? entries.map((e) => dirent(asName(e.name) as string, e.type, base)) : entries.map((e) => asName(e.name));
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
      results.push(o.withFileTypes ? dirent(asName(e.name) as string, e.type, dir) : asName(path.relative(base, full)));
      if (isDir(full, e.type)) queue.push([full, lifo ? list(full) : undefined]);
    }
    if (!lifo) queue[i] = ['', []];
  }
  return results;
}

type AnyFn = (...args: unknown[]) => unknown;

/** `fs.promises`: the sync calls, settled as promises. */
const promises: Record<string, AnyFn> = {};
/** Callback forms: the sync calls, with the callback run on a later microtask. */
const callbacks: Record<string, AnyFn> = {};

/** Each callback form and where Node's signature has its callback (when the last argument given is not a function, that one is checked). */
const ASYNC_NAMES = {
  access: 2, readFile: 2, writeFile: 3, appendFile: 3, stat: 2, lstat: 2, fstat: 2, statfs: 2, readdir: 2, mkdir: 2, mkdtemp: 2, rm: 2, rmdir: 2,
  unlink: 1, rename: 2, copyFile: 3, cp: 3, symlink: 3, readlink: 2, link: 2, realpath: 2, truncate: 2, ftruncate: 2, chmod: 2, fchmod: 2,
  chown: 3, lchown: 3, fchown: 3, utimes: 3, futimes: 3, lutimes: 3, open: 3, close: 1, fsync: 1, fdatasync: 1, read: 5, write: 5, readv: 3, writev: 3,
} as const;

/**
 * The callback forms whose Node code checks the callback before any other argument; the
 * others check their arguments first (a bad mode or uid is reported before a missing
 * callback), as lib/fs.js of Node 20 does, call by call.
 */
const CALLBACK_FIRST = new Set(['close', 'fsync', 'fdatasync', 'stat', 'lstat', 'fstat', 'statfs', 'rename', 'rmdir', 'mkdir', 'readdir', 'readlink', 'symlink', 'link', 'unlink', 'lchown', 'chown', 'utimes', 'lutimes', 'mkdtemp', 'cp', 'readFile', 'writeFile', 'appendFile', 'realpath', 'rm']);

/** Where Node takes a callback that is not a function from, when it is not at its place in the signature. */
const CALLBACK_ARGUMENT: Record<string, (given: unknown[]) => unknown> = {
  // `callback ||= options`
  readFile: (g) => g[2] || g[1],
  writeFile: (g) => g[3] || g[2],
  appendFile: (g) => g[3] || g[2],
  // the last argument given
  symlink: (g) => g[g.length - 1],
  // fewer than three arguments: the second
  open: (g) => (Object.hasOwn(g, 2) ? g[3] : g[1]),
};

/** A sync call run up to its first step that would reach the host: throws the first argument error, if any. */
function checkArguments(fn: AnyFn, args: unknown[]): void {
  checkingOnly = true;
  try {
    fn(...args);
  } catch (err) {
    if (err !== CHECKED) throw err;
  } finally {
    checkingOnly = false;
    given = [];
  }
}

/**
 * Runs a sync call for a callback form: an error raised before the call reached the host
 * is an argument error, which Node throws at once; any other goes to the callback.
 */
function settle(fn: AnyFn, args: unknown[], cb: AnyFn, deliver: (result: unknown) => unknown[], signal?: Abortable): void {
  const before = hostCalls;
  let result: unknown;
  try {
    result = fn(...args);
  } catch (err) {
    if (hostCalls === before) throw err;
    queueCallback(() => cb(err));
    return;
  }
  // Node's readFile/writeFile/appendFile work in steps and call back with an AbortError when the
  // signal was aborted before the last one; here the work is done at once, so the signal is
  // read when the callback is due.
  queueCallback(() => (signal?.aborted ? cb(new (nodeRequire('internal/errors').AbortError)(undefined, { cause: (signal as { reason?: unknown }).reason })) : cb(null, ...deliver(result))));
}

/**
 * writeFile/appendFile's callback form with `flush`: the file written at once (argument errors
 * thrown, others to the callback), then, as Node's writeAll, fs.fsync and fs.close of the
 * module (a caller's replacements included) before the callback.
 */
function settleFlushed(write: (p: unknown, d: unknown, o: unknown) => Flushing | undefined, args: unknown[], cb: AnyFn, signal?: Abortable): void {
  const before = hostCalls;
  let done: Flushing;
  try {
    done = write(args[0], args[1], args[2])!;
  } catch (err) {
    if (hostCalls === before) throw err;
    queueCallback(() => cb(err));
    return;
  }
  const { aggregateTwoErrors, AbortError } = nodeRequire('internal/errors');
  const m = fsModule!;
  const finish = (err: unknown) => (done.own ? m.close!(done.fd, (closeErr: unknown) => cb(aggregateTwoErrors(closeErr, err))) : cb(err ?? null));
  queueCallback(() => {
    if (signal?.aborted) return finish(new AbortError(undefined, { cause: (signal as { reason?: unknown }).reason }));
    m.fsync!(done.fd, (syncErr: unknown) => finish(syncErr ?? null));
  });
}

/**
 * A promise form: the sync call run from an async function after a turn, as Node's complete
 * after their I/O, so its error's stack has the awaiting callers' async frames (`at async
 * Function.rejects`), as Node's have.
 */
function promiseForm(fn: AnyFn): AnyFn {
  return async (...args: unknown[]) => {
    await undefined;
    return fn(...args);
  };
}

/** Where the options (and so a `signal`) of the callback forms that take one are. */
const SIGNAL_AT: Record<string, number> = { readFile: 1, writeFile: 2, appendFile: 2 };

for (const [name, cbAt] of Object.entries(ASYNC_NAMES)) {
  const fn = (sync as unknown as Record<string, AnyFn>)[`${name}Sync`]!;
  promises[name] = promiseForm(fn);
  callbacks[name] = (...given: unknown[]) => {
    let args = typeof given[given.length - 1] === 'function' ? given.slice(0, -1) : given.slice(0, cbAt);
    // open(path, x): x is the callback, the flags 'r'.
    if (name === 'open' && !Object.hasOwn(given, 2)) args = given.slice(0, 1);
    let cb = typeof given[given.length - 1] === 'function' ? given[given.length - 1] : (CALLBACK_ARGUMENT[name]?.(given) ?? given[cbAt]);
    // fs.close(fd) without a callback throws a failure later, as Node's default callback does.
    if (name === 'close' && cb === undefined) cb = (err: unknown) => { if (err) throw err; };
    if (typeof cb !== 'function') {
      if (!CALLBACK_FIRST.has(name)) checkArguments(fn, args);
      nodeFs().validateFunction(cb, 'cb');
    }
    // A call with no result calls back with the error alone, as Node's binding does.
    const options = SIGNAL_AT[name] === undefined ? undefined : args[SIGNAL_AT[name]!];
    const signal = options !== null && typeof options === 'object' ? (options as { signal?: Abortable }).signal : undefined;
    if ((name === 'writeFile' || name === 'appendFile') && (options as { flush?: unknown } | null)?.flush === true) {
      return settleFlushed(name === 'writeFile' ? (p, d, o) => writeWhole(p, d, o, 'w', true) : (p, d, o) => appendWhole(p, d, o, true), args, cb as AnyFn, signal);
    }
    settle(fn, args, cb as AnyFn, (result) => (name === 'readv' || name === 'writev' ? [result, args[1]] : result === undefined ? [] : [result]), signal);
  };
}
// fs.read(fd, buffer, offset, length, position, cb), (fd, buffer, options, cb), (fd, {buffer, ...}, cb), (fd, cb): Node's shuffling.
callbacks.read = function read(fd: unknown, buffer: unknown, offset: unknown, length: unknown, position: unknown, cb: unknown) {
  const u = nodeFs();
  fdOf(fd);
  let params: unknown = null;
  const n = arguments.length;
  if (n <= 4) {
    if (n === 4) {
      u.validateObject(offset, 'options', u.kValidateObjectAllowNullable);
      cb = length;
      params = offset;
    } else if (n === 3) {
      if (!ArrayBuffer.isView(buffer)) {
        params = buffer;
        // A default for a missing buffer only: a null one fails Node's check below.
        const given = (params as { buffer?: unknown } | null)?.buffer;
        buffer = given !== undefined ? given : (lazyBuffer() as unknown as { alloc(n: number): Uint8Array }).alloc(16384);
      }
      cb = offset;
    } else {
      cb = buffer;
      buffer = (lazyBuffer() as unknown as { alloc(n: number): Uint8Array }).alloc(16384);
    }
    if (params !== undefined) u.validateObject(params, 'options', u.kValidateObjectAllowNullable);
    const o = (params ?? {}) as { offset?: unknown; length?: unknown; position?: unknown };
    offset = o.offset ?? 0;
    length = o.length ?? (buffer as Uint8Array | undefined)?.byteLength! - (offset as number);
    position = o.position ?? null;
  }
  u.validateBuffer(buffer);
  u.validateFunction(cb, 'cb');
  settle(() => readInto(fdOf(fd), buffer as Uint8Array, offset, length, position), [], cb as AnyFn, (got) => [got, buffer]);
};
// fs.write(fd, buffer[, offset[, length[, position]]], cb) and (fd, string[, position[, encoding]], cb), shuffled as Node's.
callbacks.write = function write(fd: unknown, data: unknown, offset: unknown, length: unknown, position: unknown, cb: unknown) {
  const u = nodeFs();
  fdOf(fd);
  const unlessFn = (v: unknown) => (typeof v === 'function' ? undefined : v);
  let args: unknown[];
  if (ArrayBuffer.isView(data)) {
    cb ||= position || length || offset;
    u.validateFunction(cb, 'cb');
    args = [fd, data, unlessFn(offset), unlessFn(length), unlessFn(position)];
  } else {
    u.validateStringAfterArrayBufferView(data, 'buffer');
    if (typeof position !== 'function') {
      if (typeof offset === 'function') {
        position = offset;
        offset = null;
      } else position = length;
      length = 'utf8';
    }
    u.validateEncoding(data, length);
    cb = position;
    u.validateFunction(cb, 'cb');
    args = [fd, data, offset, length];
  }
  settle(sync.writeSync as AnyFn, args, cb as AnyFn, (n) => [n, data]);
};
// fs.truncate(path[, len], cb): Node checks the length and the callback before it opens the path; an fd goes to ftruncate.
callbacks.truncate = function truncate(p: unknown, len: unknown, cb: unknown) {
  if (typeof p === 'number') {
    showTruncateDeprecation();
    return callbacks.ftruncate!(p, len, cb);
  }
  if (typeof len === 'function') {
    cb = len;
    len = 0;
  } else if (len === undefined) len = 0;
  nodeFs().validateInteger(len, 'len');
  nodeFs().validateFunction(cb, 'cb');
  settle(sync.truncateSync as AnyFn, [p, len], cb as AnyFn, () => []);
};
callbacks.lchmod = undefined as unknown as AnyFn;
// Linux has no lchmod: Node's fs has neither lchmod nor lchmodSync there, and fs.promises.lchmod rejects.
promises.lchmod = async () => {
  throw new (nodeFs().codes.ERR_METHOD_NOT_IMPLEMENTED!)('lchmod()');
};
promises.readdir = promiseForm((p: unknown, options?: unknown) => readdirTree(p, options, true));
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
// util.promisify of the calls whose callback has more than one result (Node marks them with its
// customPromisifyArgs symbol, which needs Node's internals loaded; the public custom symbol gives the same).
const PROMISIFY_CUSTOM = Symbol.for('nodejs.util.promisify.custom');
for (const [name, keys] of [['read', ['bytesRead', 'buffer']], ['readv', ['bytesRead', 'buffers']], ['write', ['bytesWritten', 'buffer']], ['writev', ['bytesWritten', 'buffer']]] as const) {
  const fn = callbacks[name]!;
  Object.defineProperty(fn, PROMISIFY_CUSTOM, {
    value: (...args: unknown[]) => new Promise((resolve, reject) => {
      fn(...args, (err: unknown, a: unknown, b: unknown) => (err ? reject(err) : resolve({ [keys[0]]: a, [keys[1]]: b })));
    }),
  });
}
callbacks.exists = (p: unknown, cb: unknown) => {
  if (typeof cb !== 'function') nodeFs().validateFunction(cb, 'cb');
  const found = sync.existsSync(p);
  queueCallback(() => (cb as (b: boolean) => void)(found));
};
Object.defineProperty(callbacks.exists, PROMISIFY_CUSTOM, { value: (p: unknown) => new Promise((resolve) => callbacks.exists!(p, resolve)) });

/**
 * fs.watch(filename[, options][, listener]) with Node's checks: options a string (the
 * encoding) or {recursive, encoding, persistent, signal}; `recursive` (Node's own watcher on
 * Linux) checks its options' types; a signal already aborted closes the watcher a tick later.
 */
function watch(filename: unknown, options?: unknown, listener?: unknown): FSWatcher {
  if (typeof options === 'function') listener = options;
  const u = nodeFs();
  const o = { ...u.getOptions(options) } as { recursive?: unknown; encoding?: string; persistent?: unknown; signal?: Abortable & { reason?: unknown } };
  o.persistent ??= true;
  o.recursive ??= false;
  const root = toPath(filename);
  if (o.recursive) {
    u.validateBoolean(o.recursive, 'options.recursive');
    u.validateBoolean(o.persistent, 'options.persistent');
    if (o.signal != null) u.validateAbortSignal(o.signal, 'options.signal');
    if (o.encoding != null && typeof o.encoding !== 'string') throw new (u.codes.ERR_INVALID_ARG_VALUE!)(o.encoding, 'options.encoding');
  }
  const isDir = sync.statSync(root)!.isDirectory();
  const watcher = new FSWatcher(root, o.recursive === true, isDir, o.encoding, typeof listener === 'function' ? listener as (e: string, f: string | null) => void : undefined);
  if (o.persistent === false) watcher.unref();
  if (o.signal?.aborted) queueCallback(() => watcher.close());
  else o.signal?.addEventListener('abort', () => watcher.close());
  return watcher;
}
// fs.promises.watch: an async generator, so its argument errors come with the first next(), as Node's.
promises.watch = async function* watchPromise(filename: unknown, options: unknown = {}) {
  const u = nodeFs();
  toPath(filename);
  given = [];
  u.validateObject(options, 'options');
  const { persistent = true, recursive = false, encoding = 'utf8', signal } = options as { persistent?: unknown; recursive?: unknown; encoding?: string; signal?: Abortable & { reason?: unknown } };
  u.validateBoolean(persistent, 'options.persistent');
  u.validateBoolean(recursive, 'options.recursive');
  u.validateAbortSignal(signal, 'options.signal');
  if (encoding && !(lazyBuffer() as unknown as { isEncoding(e: unknown): boolean }).isEncoding(encoding)) throw new (u.codes.ERR_INVALID_ARG_VALUE!)(encoding, 'encoding', 'is invalid encoding');
  if (signal?.aborted) throw new (nodeRequire('internal/errors').AbortError)(undefined, { cause: signal.reason });
  yield* watchIterator(watch(filename, { persistent, recursive, encoding }), signal);
} as unknown as AnyFn;

const dirs = makeOpendir((p) => listDir(toPath(p)));
callbacks.opendir = dirs.opendir as AnyFn;
promises.opendir = dirs.opendirPromise;

// Node's fs/promises has no fd calls: an fd's are on its FileHandle (./fs-handle.ts).
for (const name of ['fchown', 'futimes']) delete promises[name];
// realpath(3) is the VM's realpath already: the native form is the same call, its errors realpath(3)'s (the path as given).
function realpathNativeSync(p: unknown, options?: unknown): string | Buffer {
  const o = opts(options);
  const real = call<string>('realpath', toPath(p));
  return inEncoding(real, o.encoding);
}
(sync.realpathSync as unknown as { native: unknown }).native = realpathNativeSync;
(callbacks.realpath as unknown as { native: unknown }).native = (p: unknown, options: unknown, cb?: unknown) => {
  if (typeof options === 'function') [cb, options] = [options, undefined];
  nodeFs().validateFunction(cb, 'cb');
  settle(realpathNativeSync as AnyFn, [p, options], cb as AnyFn, (r) => [r]);
};

export const constants = fsConstants;
/** `fs/promises`, the same object as `fs.promises`. */
export const fsPromises: Record<string, unknown> = { ...promises, constants };

/** fs.openAsBlob as Node 20's: validated as Node does, the Blob from Node's own internal/blob. */
function openAsBlob(path: unknown, options: unknown = {}): Promise<unknown> {
  const v = nodeFs();
  v.validateObject(options, 'options');
  const type = (options as { type?: unknown }).type || '';
  v.validateString(type, 'options.type');
  const validated = v.getValidatedPath(path);
  const { createBlobFromFilePath } = nodeRequire('internal/blob') as { createBlobFromFilePath(p: unknown, o: object): unknown };
  return Promise.resolve(createBlobFromFilePath(typeof validated === 'string' ? validated : String(validated), { type }));
}

/** The `fs` module object, whose functions Node's own steps call (so that a caller's replacements see them). */
let fsModule: Record<string, AnyFn | undefined> | undefined;

export function createFs(streams: Record<string, AnyFn>) {
  const fs = {
    ...sync, opendirSync: dirs.opendirSync, Dir: dirs.Dir, ...callbacks, ...streams, watch, FSWatcher, promises: fsPromises, constants, F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1,
    openAsBlob,
    // Node exports it for its tests: seconds from a number, a numeric string or a Date.
    _toUnixTimestamp: (time: unknown, name?: string) => nodeFs().toUnixTimestamp(time, name),
  };
  // Node's own classes, loaded with its fs utils on first use.
  for (const name of ['Stats', 'Dirent'] as const) Object.defineProperty(fs, name, { get: () => nodeFs()[name], enumerable: true, configurable: true });
  fsModule = fs as unknown as Record<string, AnyFn>;
  return fs;
}


