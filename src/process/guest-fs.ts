import { copyTree } from '../fs/copy-tree.js';
import { FsError, NodeSystemError } from '../fs/errors.js';
import { byteCount } from '../fs/sizes.js';
import { statOf, type DirNode, type FileNode, type VirtualFs } from '../fs/vfs.js';
import { AskPending, checkFs, openOperation, type FsOperation } from '../permissions/fs.js';
import type { ProcessPermits } from '../permissions/process-permits.js';
import { canonicalPath, entriesBeneath } from '../permissions/fs-target.js';
import { FdTable, parseOpenFlags, type OpenFile } from './fd-table.js';
import type { AskingResult } from './hook-result.js';
import type { Logger } from '../log.js';


/** What the guest fs needs from its process: stdio, and the per-call size bound. */
export interface GuestFsContext {
  readonly vfs: VirtualFs;
  readonly fds: FdTable;
  readonly permits: ProcessPermits;
  readonly ioMaxBytes: number;
  /** Most entries one readdir answer carries (FS_READDIR_PAGE_MAX). */
  readonly readdirPageMax: number;
  readonly log: Logger;
  readStdin(): Uint8Array;
  writeOutput(fd: 1 | 2, data: Uint8Array): void;
  /** A bound stopped this call; the guest gets the errno, the owner logs the hit. */
  onLimit(limit: string, observed: number, capacity: number, env: string): void;
}

/**
 * What each guest fs operation does, for the permission check (permissions/fs.ts): its
 * operation, and where its target is: a path argument (`path`, the argument's index) or
 * an fd (`fd`, the index of the fd argument; the check gets the path it was opened by).
 * `nofollow`: the entry itself, not where its symlink leads; `also`: a second path the
 * call touches (the source of a copy, the destination of a rename); `tree`: the operation
 * reaches every entry beneath a directory too. `open` and `writeFile` depend on their
 * flags. An op missing here is refused.
 */
type Flag = boolean | ((args: unknown[]) => boolean);
interface Target {
  operation: FsOperation | ((args: unknown[], ctx: GuestFsContext) => FsOperation);
  path?: number;
  fd?: number;
  nofollow?: Flag;
  tree?: Flag;
  also?: { operation: FsOperation; path: number; nofollow?: boolean; tree?: boolean };
  /** The syscall Node names in the error (open for readFile, scandir for readdir, …); default the op's name. */
  syscall?: string;
}
const READ_PATH: Target = { operation: 'read', path: 0 };
const READ_FD: Target = { operation: 'read', fd: 0 };
const OPERATIONS: Record<string, Target> = {
  exists: { ...READ_PATH, syscall: 'access' }, access: READ_PATH,
  // readFile's flags are open's ('a+' creates, 'ax+' fails on an existing file): judged as open's.
  readFile: { operation: (a, ctx) => openOperation(parseOpenFlags(flagArg(a[1]), 'open'), () => typeof a[0] === 'string' && ctx.vfs.exists(a[0])), path: 0, syscall: 'open' },
  stat: { ...READ_PATH, nofollow: (a) => a[1] === false, syscall: 'stat' }, readdir: { ...READ_PATH, syscall: 'scandir' },
  readlink: { ...READ_PATH, nofollow: true }, realpath: READ_PATH, getxattr: { ...READ_PATH, nofollow: (a) => a[2] === false },
  listxattr: { ...READ_PATH, nofollow: (a) => a[1] === false }, statfs: READ_PATH,
  readFd: { ...READ_FD, syscall: 'read' }, read: READ_FD, fstat: READ_FD, dup: READ_FD, close: READ_FD, seek: { ...READ_FD, syscall: 'lseek' }, setAppend: { ...READ_FD, syscall: 'fcntl' },
  readOnly: { operation: 'read' },
  open: { operation: (a, ctx) => openOperation(parseOpenFlags(flagArg(a[1]), 'open'), () => typeof a[0] === 'string' && ctx.vfs.exists(a[0])), path: 0 },
  writeFile: { operation: 'write', path: 0, syscall: 'open' },
  writeFd: { operation: 'write', fd: 0, syscall: 'write' },
  ftruncate: { operation: 'truncate', fd: 0 },
  allocate: { operation: 'write', fd: 0, syscall: 'fallocate' },
  fchmod: { operation: 'chmod', fd: 0 },
  fchown: { operation: 'chown', fd: 0 },
  futimes: { operation: 'utimes', fd: 0 },
  fsetxattr: { operation: 'xattr', fd: 0 },
  truncate: { operation: 'truncate', path: 0, syscall: 'open' },
  mkdir: { operation: 'create', path: 0, nofollow: true },
  mkdtemp: { operation: 'create', path: 0, nofollow: true },
  symlink: { operation: 'create', path: 1, nofollow: true },
  link: { operation: 'link', path: 1, nofollow: true, also: { operation: 'link', path: 0, nofollow: true } },
  copyFile: { operation: 'write', path: 1, also: { operation: 'read', path: 0 }, syscall: 'copyfile' },
  cp: { operation: 'write', path: 1, also: { operation: 'read', path: 0, tree: true } },
  rm: { operation: 'delete', path: 0, nofollow: true, tree: (a) => a[1] === true },
  rmdir: { operation: 'delete', path: 0, nofollow: true, tree: (a) => a[1] === true },
  unlink: { operation: 'delete', path: 0, nofollow: true },
  rename: { operation: 'rename', path: 0, nofollow: true, tree: true, also: { operation: 'rename', path: 1, nofollow: true } },
  chmod: { operation: 'chmod', path: 0 },
  chown: { operation: 'chown', path: 0 },
  utimes: { operation: 'utimes', path: 0, syscall: 'utime' },
  utimesNs: { operation: 'utimes', path: 0, nofollow: (a) => a[3] === false, syscall: 'utime' },
  setxattr: { operation: 'xattr', path: 0, nofollow: (a) => a[4] === false },
  removexattr: { operation: 'xattr', path: 0, nofollow: (a) => a[2] === false },
};

/** The process's own stdio, by fd or by name: its streams, not the filesystem. */
const STDIO_PATHS = new Set(['/dev/stdin', '/dev/stdout', '/dev/stderr']);

const flag = (f: Flag | undefined, args: unknown[]) => (typeof f === 'function' ? f(args) : f === true);

/** The permission check of one guest call, before it touches anything. */
function authorize(ctx: GuestFsContext, op: string, args: unknown[]): void {
  const target = Object.hasOwn(OPERATIONS, op) ? OPERATIONS[op] : undefined;
  if (!target) throw new FsError('EINVAL', op, undefined, `unknown fs operation '${op}'`);
  const operation = typeof target.operation === 'function' ? target.operation(args, ctx) : target.operation;
  const syscall = target.syscall ?? op;
  const actor = { kind: 'guest', permits: ctx.permits } as const;
  let path: string | undefined;
  if (target.path !== undefined) {
    path = typeof args[target.path] === 'string' ? (args[target.path] as string) : undefined;
    if ((op === 'readFile' || op === 'writeFile') && path !== undefined && STDIO_PATHS.has(path)) return;
  } else if (target.fd !== undefined) {
    const fd = args[target.fd];
    if (fd === 0 || fd === 1 || fd === 2) return;
    // Reading through an fd (and closing it) is what its open was judged for, as on Linux;
    // changing the file through it is judged again.
    if (operation === 'read' && !ctx.permits.vm.policy.fsShorthand) return;
    path = fdPath(ctx, fd);
  }
  // A policy that allows everything needs no canonical paths (the common case costs nothing).
  if (ctx.permits.allowsAll('fs')) return;
  const judged = (p: string | undefined, nofollow: boolean) => (p === undefined ? undefined : canonicalPath(ctx.vfs, p, !nofollow));
  const check = (op2: FsOperation, p: string | undefined, shown: string | undefined, nofollow: boolean, tree: boolean) => {
    const canonical = judged(p, nofollow);
    checkFs(actor, op2, canonical, syscall, shown);
    if (tree && canonical !== undefined) for (const below of entriesBeneath(ctx.vfs, canonical)) checkFs(actor, op2, below, syscall, shown);
  };
  check(operation, path, path, flag(target.nofollow, args), flag(target.tree, args));
  const also = target.also;
  if (also) {
    const other = typeof args[also.path] === 'string' ? (args[also.path] as string) : undefined;
    check(also.operation, other, other, also.nofollow === true, also.tree === true);
  }
}

function fdPath(ctx: GuestFsContext, fd: unknown): string | undefined {
  if (typeof fd !== 'number') return undefined;
  try {
    return ctx.fds.get(fd, 'fs').path;
  } catch {
    return undefined;
  }
}

/**
 * The host side of guest `fs` calls (guest JS, and WASI and the command host ABI through
 * the runner). Arguments come from guest code, so each is checked before use: every call
 * passes the permission check, every size and offset `byteCount`; failures return
 * Node-shaped errors (`ENOENT`, `EACCES`, …) for the guest to throw, never exceptions into
 * the daemon.
 */
export function guestFsCall(ctx: GuestFsContext, op: unknown, args: unknown): AskingResult {
  try {
    if (typeof op !== 'string' || !Array.isArray(args)) throw new FsError('EINVAL', 'fs');
    authorize(ctx, op, args);
    return { ok: dispatch(ctx, op, args) };
  } catch (err) {
    if (err instanceof AskPending) throw err;
    if (err instanceof NodeSystemError) return { err: { message: err.message, code: err.code, errno: err.errnoNumber, syscall: err.syscall, path: err.path } };
    if (err instanceof FsError) return { err: { message: err.message, code: err.errno, syscall: err.syscall, path: err.path } };
    return { err: { message: err instanceof Error ? err.message : String(err), code: 'EINVAL' } };
  }
}

function str(value: unknown, name = 'path'): string {
  if (typeof value !== 'string') throw new FsError('EINVAL', 'fs', undefined, `${name} must be a string`);
  return value;
}
function num(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new FsError('EINVAL', 'fs', undefined, `${name} must be a number`);
  return value;
}
function xattrMode(value: unknown): 'create' | 'replace' | undefined {
  return value === 'create' || value === 'replace' ? value : undefined;
}
function flagArg(value: unknown): string | number {
  return typeof value === 'number' ? value : typeof value === 'string' ? value : 'r';
}
function bytes(value: unknown, ctx: GuestFsContext): Uint8Array {
  const out = typeof value === 'string' ? Buffer.from(value) : value instanceof Uint8Array ? value : null;
  if (!out) throw new FsError('EINVAL', 'write', undefined, 'data must be a string or Uint8Array');
  if (out.byteLength > ctx.ioMaxBytes) ioLimit(ctx, out.byteLength);
  if (out.byteLength > ctx.ioMaxBytes) throw new FsError('EFBIG', 'write', undefined, `one write is limited to ${ctx.ioMaxBytes} bytes (AGENTOS_FS_IO_MAX_BYTES)`);
  return out;
}
/** A copy, because the guest must never hold a view of the VM's live file data. */
function capped(data: Uint8Array, ctx: GuestFsContext, path?: string): Uint8Array {
  if (data.byteLength > ctx.ioMaxBytes) ioLimit(ctx, data.byteLength);
  if (data.byteLength > ctx.ioMaxBytes) throw new FsError('EFBIG', 'read', path, `one read is limited to ${ctx.ioMaxBytes} bytes (AGENTOS_FS_IO_MAX_BYTES)`);
  return data.slice();
}

function ioLimit(ctx: GuestFsContext, observed: number): void {
  ctx.onLimit('fs_io_max_bytes', observed, ctx.ioMaxBytes, 'AGENTOS_FS_IO_MAX_BYTES');
}

function dispatch(ctx: GuestFsContext, op: string, a: unknown[]): unknown {
  const { vfs } = ctx;
  switch (op) {
    case 'exists': return vfs.exists(str(a[0]));
    case 'access': vfs.lookup(str(a[0]), 'access'); return null;
    case 'readFile': {
      const path = str(a[0]);
      if (path === '/dev/stdin') return ctx.readStdin();
      // As Node: the open succeeds on a directory, its read fails (EISDIR, read, no path).
      const flags = parseOpenFlags(flagArg(a[1]), 'open');
      const node = flags.create || flags.write ? vfs.openFile(path, { create: flags.create, exclusive: flags.exclusive }) : vfs.lookup(path, 'open');
      if (node.kind === 'socket') throw new FsError('ENXIO', 'open', path);
      if (flags.truncate && node.kind === 'file') vfs.truncateNode(node, 0);
      if (node.kind === 'directory') throw new FsError('EISDIR', 'read');
      return capped(vfs.readRest(node as FileNode, 0, path), ctx, path);
    }
    case 'writeFile': {
      const path = str(a[0]);
      const data = bytes(a[1], ctx);
      if (path === '/dev/stdout' || path === '/dev/stderr') {
        ctx.writeOutput(path === '/dev/stdout' ? 1 : 2, data);
        return null;
      }
      const flags = parseOpenFlags(flagArg(a[2]), 'open');
      vfs.writeFile(path, data, { append: flags.append, exclusive: flags.exclusive, mode: typeof a[3] === 'number' ? a[3] : undefined });
      return null;
    }
    case 'readFd': {
      const fd = num(a[0], 'fd');
      if (fd === 0) return ctx.readStdin();
      const { file, node } = readable(ctx, fd, 'read');
      const out = capped(vfs.readRest(node, file.position, file.path), ctx);
      file.position += out.byteLength;
      return out;
    }
    case 'writeFd': {
      const fd = num(a[0], 'fd');
      const data = bytes(a[1], ctx);
      if (fd === 1 || fd === 2) {
        ctx.writeOutput(fd, data);
        return data.byteLength;
      }
      const file = ctx.fds.get(fd, 'write');
      if (!file.writable) throw new FsError('EBADF', 'write');
      const node = regular(file.node, 'write');
      // A position, when given, is the caller's (pwrite); null or absent: the fd's own.
      const positioned = a[2] !== null && a[2] !== undefined;
      const at = file.append ? node.size : positioned ? byteCount(a[2], 'position', 'write') : file.position;
      const n = vfs.writeAt(node, at, data);
      if (!positioned) file.position = at + n;
      return n;
    }
    case 'open': {
      const path = str(a[0]);
      const flags = parseOpenFlags(flagArg(a[1]), 'open');
      // As Linux: a full fd table refuses the open before it creates or truncates anything.
      try {
        ctx.fds.checkRoom(path);
      } catch (err) {
        ctx.onLimit('max_open_files_per_process', ctx.fds.size + 4, ctx.fds.size + 3, 'AGENTOS_MAX_OPEN_FILES');
        throw err;
      }
      // A directory opens read-only, as on Linux (O_RDONLY without O_CREAT): for fstat,
      // fchmod, futimes; reading it is EISDIR. Any other flags on a directory are EISDIR.
      const existing = flags.write || flags.create ? undefined : vfs.lookup(path, 'open');
      const node = existing?.kind === 'directory' ? existing : vfs.openFile(path, { create: flags.create, exclusive: flags.exclusive, mode: typeof a[2] === 'number' ? a[2] : undefined });
      if (flags.truncate && node.kind === 'file') vfs.truncateNode(node, 0);
      return ctx.fds.open({ node, path, position: 0, readable: flags.read, writable: flags.write, append: flags.append });
    }
    // access(W_OK) of WASI: EROFS under the read-only shorthand (or no fs), as a read-only mount says.
    case 'readOnly': return ctx.permits.vm.policy.fsShorthand === 'read-only' || ctx.permits.vm.policy.fsShorthand === 'none';
    case 'getxattr': return vfs.getxattr(str(a[0]), str(a[1], 'name'), a[2] !== false);
    case 'listxattr': return vfs.listxattr(str(a[0]), a[1] !== false);
    case 'setxattr': vfs.setxattr(str(a[0]), str(a[1], 'name'), bytes(a[2], ctx), xattrMode(a[3]), a[4] !== false); return null;
    case 'fsetxattr': vfs.setxattrOn(ctx.fds.get(num(a[0], 'fd'), 'fsetxattr').node, str(a[1], 'name'), bytes(a[2], ctx), xattrMode(a[3])); return null;
    case 'removexattr': vfs.removexattr(str(a[0]), str(a[1], 'name'), a[2] !== false); return null;
    case 'statfs': {
      // The VM filesystem's real capacity: its byte quota and inode limit, and what is used.
      vfs.lookup(str(a[0]), 'statfs');
      const { bytes: used, inodes } = vfs.usage;
      return { totalBytes: vfs.bounds.quotaBytes, usedBytes: used, totalInodes: vfs.bounds.inodeLimit, freeInodes: Math.max(0, vfs.bounds.inodeLimit - inodes) };
    }
    case 'dup': return ctx.fds.adopt(ctx.fds.get(num(a[0], 'fd'), 'dup'));
    case 'close': {
      const fd = num(a[0], 'fd');
      if (fd > 2) ctx.fds.close(fd);
      return null;
    }
    case 'read': {
      const fd = num(a[0], 'fd');
      const length = Math.min(byteCount(a[1], 'length', 'read'), ctx.ioMaxBytes);
      if (fd === 0) return ctx.readStdin().subarray(0, length);
      const { file, node } = readable(ctx, fd, 'read');
      const positioned = a[2] !== null && a[2] !== undefined;
      const at = positioned ? byteCount(a[2], 'position', 'read') : file.position;
      const out = vfs.readAt(node, at, length).slice();
      if (!positioned) file.position = at + out.byteLength;
      return out;
    }
    case 'fstat': {
      const fd = num(a[0], 'fd');
      if (fd <= 2) return { type: 'file', size: 0, mode: 0o020620, uid: 0, gid: 0, ino: 0, nlink: 1, atimeMs: 0, mtimeMs: 0, ctimeMs: 0, birthtimeMs: 0 };
      return statOf(ctx.fds.get(fd, 'fstat').node);
    }
    case 'seek': {
      const file = ctx.fds.get(num(a[0], 'fd'), 'seek');
      if (a[2] !== 0 && a[2] !== 1 && a[2] !== 2 && a[2] !== undefined) throw new FsError('EINVAL', 'seek', file.path, 'whence must be SEEK_SET, SEEK_CUR or SEEK_END');
      // Devices seek anywhere and stay at 0, as on Linux (and in the runner); a directory's
      // position is not a byte offset this filesystem keeps.
      if (file.node.kind === 'directory' || file.node.device) return 0;
      const base = a[2] === 1 ? file.position : a[2] === 2 ? file.node.size : 0;
      const offset = num(a[1], 'offset');
      file.position = byteCount(base + offset, 'the resulting offset', 'lseek');
      return file.position;
    }
    case 'setAppend': ctx.fds.get(num(a[0], 'fd'), 'fcntl').append = a[1] === true; return null;
    case 'ftruncate': {
      const file = ctx.fds.get(num(a[0], 'fd'), 'ftruncate');
      // Linux: ftruncate on an fd not open for writing is EINVAL (Node reports the same).
      if (!file.writable) throw new FsError('EINVAL', 'ftruncate');
      vfs.truncateNode(regular(file.node, 'ftruncate'), byteCount(a[1], 'length', 'ftruncate'));
      return null;
    }
    case 'allocate': {
      // posix_fallocate: the file is at least offset + len bytes after (zeros where it grew).
      const file = ctx.fds.get(num(a[0], 'fd'), 'fallocate');
      if (!file.writable) throw new FsError('EBADF', 'fallocate');
      const node = regular(file.node, 'fallocate');
      const end = byteCount(a[1], 'offset', 'fallocate') + byteCount(a[2], 'length', 'fallocate');
      if (a[2] === 0) throw new FsError('EINVAL', 'fallocate', file.path, 'invalid argument: length must be above 0');
      if (end > node.size) vfs.truncateNode(node, byteCount(end, 'offset + length', 'fallocate'));
      return null;
    }
    case 'fchmod': vfs.chmodNode(ctx.fds.get(num(a[0], 'fd'), 'fchmod').node, num(a[1], 'mode')); return null;
    case 'fchown': vfs.chownNode(ctx.fds.get(num(a[0], 'fd'), 'fchown').node, num(a[1], 'uid'), num(a[2], 'gid')); return null;
    case 'futimes': vfs.utimesNode(ctx.fds.get(num(a[0], 'fd'), 'futime').node, BigInt(str(a[1], 'atime')), BigInt(str(a[2], 'mtime'))); return null;
    case 'stat': return vfs.stat(str(a[0]), a[1] !== false);
    case 'readdir': {
      if (a[2] === undefined) {
        // Guest JS: a page of at most readdirPageMax entries after the name `a[1]` (null: the
        // start); the guest asks again from `next` until it is null, so no answer is unbounded.
        const path = str(a[0]);
        const page = vfs.readdirPage(path, a[1] === undefined || a[1] === null ? null : str(a[1], 'after'), ctx.readdirPageMax);
        ctx.log.trace({ path, entries: page.entries.length, more: page.more }, 'guest readdir page');
        return {
          entries: page.entries.map(({ name, node }) => ({ name, type: node.kind, ino: node.ino })),
          next: page.more && page.entries.length > 0 ? page.entries[page.entries.length - 1]!.name : null,
        };
      }
      // WASI fd_readdir: the entries after the name `a[1]` whose 24-byte dirents plus names fill `a[2]` bytes.
      const page = vfs.readdirPage(str(a[0]), a[1] === null ? null : str(a[1], 'after'), Infinity, num(a[2], 'bytes'), 24);
      // `a[3]`: with each entry's lstat, as NFS's READDIRPLUS (a runner answers the stats a listing makes next from it).
      if (a[3] === true) return page.entries.map(({ name, node }) => ({ name, type: node.kind, ino: node.ino, stat: statOf(node) }));
      return page.entries.map(({ name, node }) => ({ name, type: node.kind, ino: node.ino }));
    }
    case 'mkdir': {
      const path = str(a[0]);
      const mode = typeof a[2] === 'number' ? a[2] : undefined;
      if (a[1] !== true) {
        vfs.mkdir(path, { mode });
        return null;
      }
      return vfs.mkdirp(path, mode) ?? null;
    }
    case 'mkdtemp': {
      const prefix = str(a[0]);
      for (let i = 0; i < 100; i++) {
        const candidate = `${prefix}${Math.random().toString(36).slice(2, 8)}`;
        if (!vfs.exists(candidate)) {
          vfs.mkdir(candidate, { mode: 0o700 });
          return candidate;
        }
      }
      throw new FsError('EEXIST', 'mkdtemp', prefix);
    }
    case 'rm': {
      const path = str(a[0]);
      try {
        const node = vfs.lookup(path, 'rm', false);
        if (node.kind === 'directory' && a[1] !== true) throw new FsError('EISDIR', 'rm', path, 'Path is a directory: rm was called without recursive');
        vfs.remove(path, a[1] === true);
      } catch (err) {
        if (!(a[2] === true && err instanceof FsError && err.errno === 'ENOENT')) throw err;
      }
      return null;
    }
    case 'rmdir': a[1] === true ? vfs.remove(str(a[0]), true) : vfs.rmdir(str(a[0])); return null;
    case 'unlink': vfs.unlink(str(a[0])); return null;
    case 'rename': vfs.rename(str(a[0]), str(a[1])); return null;
    case 'copyFile': {
      const to = str(a[1]);
      if ((num(a[2] ?? 0, 'mode') & 1) !== 0 && vfs.exists(to)) throw new FsError('EEXIST', 'copyfile', to);
      const src = vfs.lookup(str(a[0]), 'copyfile');
      if (src.kind !== 'file') throw new FsError('EISDIR', 'copyfile', str(a[0]));
      vfs.writeFile(to, vfs.readFile(str(a[0])).slice(), { mode: src.mode });
      return null;
    }
    case 'cp': copyTree(vfs, str(a[0]), str(a[1]), a[2] === true, { force: a[3] !== false, errorOnExist: a[4] === true }); return null;
    case 'symlink': vfs.symlink(str(a[0], 'target'), str(a[1])); return null;
    case 'readlink': return vfs.readlink(str(a[0]));
    case 'link': vfs.hardlink(str(a[0]), str(a[1])); return null;
    case 'realpath': return vfs.realpath(str(a[0]));
    case 'truncate': {
      // Node's truncate opens the file for writing first: a directory fails that open.
      const path = str(a[0]);
      if (vfs.lookup(path, 'open').kind === 'directory') throw new FsError('EISDIR', 'open', path);
      vfs.truncate(path, byteCount(a[1], 'length', 'truncate'));
      return null;
    }
    case 'chmod': vfs.chmod(str(a[0]), num(a[1], 'mode')); return null;
    case 'chown': vfs.chown(str(a[0]), num(a[1], 'uid'), num(a[2], 'gid')); return null;
    case 'utimes': vfs.utimes(str(a[0]), num(a[1], 'atime'), num(a[2], 'mtime')); return null;
    case 'utimesNs': vfs.utimes(str(a[0]), BigInt(str(a[1], 'atime')), BigInt(str(a[2], 'mtime')), a[3] !== false); return null;
    default: throw new FsError('EINVAL', op, undefined, `unknown fs operation '${op}'`);
  }
}

/** An fd open for reading and its file (the description, whose position the read moves). */
function readable(ctx: GuestFsContext, fd: number, syscall: string): { file: OpenFile; node: FileNode } {
  const file = ctx.fds.get(fd, syscall);
  if (!file.readable) throw new FsError('EBADF', syscall);
  return { file, node: regular(file.node, syscall) };
}

/** An open file's node for a call that needs bytes: a directory (opened read-only) is EISDIR, as read(2) on one. */
function regular(node: FileNode | DirNode, syscall: string): FileNode {
  if (node.kind === 'directory') throw new FsError('EISDIR', syscall);
  return node;
}
