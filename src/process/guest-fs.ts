import { copyTree } from '../fs/copy-tree.js';
import { FsError, NodeSystemError } from '../fs/errors.js';
import { statOf, type FileNode, type VirtualFs } from '../fs/vfs.js';
import { FdTable, parseOpenFlags } from './fd-table.js';
import type { HookResult } from './hook-result.js';

export type FsPermission = 'read-write' | 'read-only' | 'none';

/** What the guest fs needs from its process: stdio, and the per-call size bound. */
export interface GuestFsContext {
  readonly vfs: VirtualFs;
  readonly fds: FdTable;
  readonly permission: FsPermission;
  readonly ioMaxBytes: number;
  readStdin(): Uint8Array;
  writeOutput(fd: 1 | 2, data: Uint8Array): void;
  /** A bound stopped this call; the guest gets the errno, the owner logs the hit. */
  onLimit(limit: string, observed: number, capacity: number, env: string): void;
}

const WRITES = new Set([
  'writeFile', 'mkdir', 'mkdtemp', 'rm', 'rmdir', 'unlink', 'rename', 'copyFile', 'cp', 'symlink', 'link', 'truncate',
  'chmod', 'chown', 'utimes', 'utimesNs', 'setxattr', 'fsetxattr', 'removexattr',
]);

/**
 * The host side of guest `fs` calls. Arguments come from guest code, so each is checked
 * before use; failures return Node-shaped errors (`ENOENT`, `EACCES`, …) for the guest
 * to throw, never exceptions into the daemon.
 */
export function guestFsCall(ctx: GuestFsContext, op: unknown, args: unknown): HookResult {
  try {
    if (typeof op !== 'string' || !Array.isArray(args)) throw new FsError('EINVAL', 'fs');
    if (ctx.permission === 'none') throw new FsError('EACCES', op, undefined, 'permission denied: this VM gives guests no filesystem access');
    if (ctx.permission === 'read-only' && (WRITES.has(op) || (op === 'open' && parseOpenFlags(flagArg(args[1]), 'open').write))) {
      throw new FsError('EROFS', op, str(args[0]), 'read-only file system: this VM gives guests read-only access');
    }
    return { ok: dispatch(ctx, op, args) };
  } catch (err) {
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
      if (path === '/dev/null') return new Uint8Array(0);
      return capped(vfs.readFile(path), ctx, path);
    }
    case 'writeFile': {
      const path = str(a[0]);
      const data = bytes(a[1], ctx);
      if (path === '/dev/stdout' || path === '/dev/stderr') {
        ctx.writeOutput(path === '/dev/stdout' ? 1 : 2, data);
        return null;
      }
      if (path === '/dev/null') return null;
      const flags = parseOpenFlags(flagArg(a[2]), 'open');
      vfs.writeFile(path, data, { append: flags.append, exclusive: flags.exclusive, mode: typeof a[3] === 'number' ? a[3] : undefined });
      return null;
    }
    case 'readFd': {
      const fd = num(a[0], 'fd');
      if (fd === 0) return ctx.readStdin();
      const file = readable(ctx, fd, 'read');
      const out = capped(vfs.readAt(file.node, file.position, file.node.size - file.position), ctx);
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
      if (ctx.permission !== 'read-write') throw new FsError('EROFS', 'write', file.path);
      const at = file.append ? file.node.size : typeof a[2] === 'number' ? a[2] : file.position;
      const n = vfs.writeAt(file.node, at, data);
      if (typeof a[2] !== 'number') file.position = at + n;
      return n;
    }
    case 'open': {
      const path = str(a[0]);
      const flags = parseOpenFlags(flagArg(a[1]), 'open');
      const node = vfs.openFile(path, { create: flags.create, exclusive: flags.exclusive, mode: typeof a[2] === 'number' ? a[2] : undefined });
      if (flags.truncate) vfs.truncateNode(node, 0);
      try {
        return ctx.fds.open({ node, path, position: 0, readable: flags.read, writable: flags.write, append: flags.append });
      } catch (err) {
        if (err instanceof FsError && err.errno === 'EMFILE') ctx.onLimit('max_open_files_per_process', ctx.fds.size + 4, ctx.fds.size + 3, 'AGENTOS_MAX_OPEN_FILES');
        throw err;
      }
    }
    case 'readOnly': return ctx.permission !== 'read-write';
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
      const length = Math.max(0, Math.min(num(a[1], 'length'), ctx.ioMaxBytes));
      if (fd === 0) return ctx.readStdin().subarray(0, length);
      const file = readable(ctx, fd, 'read');
      const at = typeof a[2] === 'number' ? a[2] : file.position;
      const out = vfs.readAt(file.node, at, length).slice();
      if (typeof a[2] !== 'number') file.position = at + out.byteLength;
      return out;
    }
    case 'fstat': {
      const fd = num(a[0], 'fd');
      if (fd <= 2) return { type: 'file', size: 0, mode: 0o020620, uid: 0, gid: 0, ino: 0, nlink: 1, atimeMs: 0, mtimeMs: 0, ctimeMs: 0, birthtimeMs: 0 };
      return statOf(ctx.fds.get(fd, 'fstat').node);
    }
    case 'seek': {
      const file = ctx.fds.get(num(a[0], 'fd'), 'seek');
      const base = a[2] === 1 ? file.position : a[2] === 2 ? file.node.size : 0;
      const next = base + num(a[1], 'offset');
      if (next < 0) throw new FsError('EINVAL', 'seek');
      file.position = next;
      return next;
    }
    case 'setAppend': ctx.fds.get(num(a[0], 'fd'), 'fcntl').append = a[1] === true; return null;
    case 'ftruncate': vfs.truncateNode(ctx.fds.get(num(a[0], 'fd'), 'ftruncate').node, num(a[1], 'length')); return null;
    case 'fchmod': ctx.fds.get(num(a[0], 'fd'), 'fchmod').node.mode = num(a[1], 'mode') & 0o7777; return null;
    case 'stat': return vfs.stat(str(a[0]), a[1] !== false);
    case 'readdir': {
      if (a.length < 2) return vfs.readdir(str(a[0])).map(({ name, node }) => ({ name, type: node.kind, ino: node.ino }));
      // WASI fd_readdir: the entries after the name `a[1]` whose 24-byte dirents plus names fill `a[2]` bytes.
      const page = vfs.readdirPage(str(a[0]), a[1] === null ? null : str(a[1], 'after'), Infinity, num(a[2], 'bytes'), 24);
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
    case 'cp': copyTree(vfs, str(a[0]), str(a[1]), a[2] === true); return null;
    case 'symlink': vfs.symlink(str(a[0], 'target'), str(a[1])); return null;
    case 'readlink': return vfs.readlink(str(a[0]));
    case 'link': vfs.hardlink(str(a[0]), str(a[1])); return null;
    case 'realpath': return vfs.realpath(str(a[0]));
    case 'truncate': vfs.truncate(str(a[0]), num(a[1], 'length')); return null;
    case 'chmod': vfs.chmod(str(a[0]), num(a[1], 'mode')); return null;
    case 'chown': vfs.chown(str(a[0]), num(a[1], 'uid'), num(a[2], 'gid')); return null;
    case 'utimes': vfs.utimes(str(a[0]), num(a[1], 'atime'), num(a[2], 'mtime')); return null;
    case 'utimesNs': vfs.utimes(str(a[0]), BigInt(str(a[1], 'atime')), BigInt(str(a[2], 'mtime')), a[3] !== false); return null;
    default: throw new FsError('EINVAL', op, undefined, `unknown fs operation '${op}'`);
  }
}

function readable(ctx: GuestFsContext, fd: number, syscall: string): { node: FileNode; position: number } {
  const file = ctx.fds.get(fd, syscall);
  if (!file.readable) throw new FsError('EBADF', syscall);
  return file;
}
