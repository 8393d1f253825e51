import { FsError } from '../fs/errors.js';
import { absolute, normalize } from '../fs/paths.js';
import type { OpenFile, OpenFlags } from '../process/fd-table.js';
import { deviceAt, fdNamedBy, type FdSpec, type Preopen } from './runner/contract.js';
import { guestPathOf, jailPath, type Jailed } from './runner/jail.js';

/** One posix_spawn file action, as the runner decoded it. */
export interface SpawnAction {
  cmd: number;
  fd: number;
  srcfd: number;
  oflag: number;
  mode: number;
  path: string;
}

/**
 * The packed posix_spawn file-action records (§3.2 of the command ABI): no padding, a
 * 24-byte head then the path. A truncated record is EINVAL; more than the bounds, E2BIG.
 */
export function decodeActions(bytes: Uint8Array, bounds: { maxActions: number; maxBytes: number }): SpawnAction[] {
  if (bytes.byteLength > bounds.maxBytes) throw new FsError('E2BIG', 'posix_spawn', undefined, `file actions take ${bytes.byteLength} bytes; the limit is ${bounds.maxBytes} (AGENTOS_SPAWN_ACTIONS_MAX_BYTES)`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: SpawnAction[] = [];
  let at = 0;
  while (at < bytes.byteLength) {
    if (bytes.byteLength - at < 24) throw new FsError('EINVAL', 'posix_spawn', undefined, 'a truncated file action');
    const pathLen = v.getUint32(at + 20, true);
    if (bytes.byteLength - at - 24 < pathLen) throw new FsError('EINVAL', 'posix_spawn', undefined, 'a truncated file action path');
    out.push({
      cmd: v.getUint32(at, true),
      fd: v.getInt32(at + 4, true),
      srcfd: v.getInt32(at + 8, true),
      oflag: v.getInt32(at + 12, true),
      mode: v.getUint32(at + 16, true),
      path: Buffer.from(bytes.subarray(at + 24, at + 24 + pathLen)).toString('utf8'),
    });
    if (out[out.length - 1]!.fd < 0) throw new FsError('EBADF', 'posix_spawn', undefined, 'a file action names a negative fd');
    if (out.length > bounds.maxActions) throw new FsError('E2BIG', 'posix_spawn', undefined, `more than ${bounds.maxActions} file actions (AGENTOS_SPAWN_ACTIONS_MAX)`);
    at += 24 + pathLen;
  }
  return out;
}

/** What building a child's table needs from the VM. */
export interface SpawnFs {
  /** The parent's open description behind one of its host fds. */
  openFileOf(hostFd: number): OpenFile;
  /** An OPEN action: a new open description of a VM path (resolved beneath `root`). */
  open(at: Jailed, flags: OpenFlags, mode: number): OpenFile;
  /** CHDIR: fails unless the path is a directory. */
  checkDirectory(at: Jailed): void;
  /** The most fds the child's table may hold (EMFILE past it). */
  maxFds: number;
}

/** An fd of the child being built; `file` is the shared description of a 'file' fd. */
export type ChildFd = FdSpec & { file?: OpenFile };

const CLOSE = 1;
const DUP2 = 2;
const OPEN = 3;
const CHDIR = 4;
const FCHDIR = 5;
const CLOSEFROM = 6;
const ALL_RIGHTS = String(0x1fffffff);

/**
 * A spawned child's fd table, as Linux posix_spawn builds it: a copy of the parent's,
 * the file actions applied in order, then every FD_CLOEXEC fd dropped. Returns the table
 * and the child's cwd (CHDIR/FCHDIR move it). Paths are the parent's namespace and
 * resolve through its preopens (`jail`), which the child inherits: an action cannot
 * reach past them (ENOTCAPABLE). Throws an FsError whose errno the spawn returns.
 */
export function childFds(parent: FdSpec[], actions: SpawnAction[], cwd: string, jail: readonly Preopen[], fs: SpawnFs): { fds: Map<number, ChildFd>; cwd: string } {
  const resolve = (path: string): Jailed => {
    const jailed = jailPath(jail, path);
    if (!jailed) throw new FsError('ENOTCAPABLE', 'posix_spawn', path);
    return jailed;
  };
  const fds = new Map<number, ChildFd>();
  for (const spec of parent) fds.set(spec.fd, spec.kind === 'file' ? { ...spec, file: fs.openFileOf(spec.hostFd!) } : { ...spec });
  let dir = cwd;
  for (const a of actions) {
    switch (a.cmd) {
      case CLOSE:
        if (!fds.delete(a.fd) && a.fd > 2) throw new FsError('EBADF', 'posix_spawn');
        break;
      case DUP2: {
        const src = fds.get(a.srcfd);
        if (!src) throw new FsError('EBADF', 'posix_spawn');
        const copy: ChildFd = { ...src, fd: a.fd, cloexec: false };
        delete copy.preopen;
        fds.set(a.fd, a.srcfd === a.fd ? { ...src, cloexec: false } : copy);
        break;
      }
      case OPEN:
        fds.set(a.fd, openAction(a, dir, fds, fs, resolve));
        break;
      case CHDIR: {
        const next = normalize(absolute(dir, a.path));
        fs.checkDirectory(resolve(next));
        dir = next;
        break;
      }
      case FCHDIR: {
        const target = fds.get(a.fd);
        if (!target) throw new FsError('EBADF', 'posix_spawn');
        if (target.kind !== 'dir') throw new FsError('ENOTDIR', 'posix_spawn');
        const guest = guestPathOf(jail, target.vmPath);
        if (guest === undefined) throw new FsError('ENOTCAPABLE', 'posix_spawn', target.vmPath);
        dir = guest;
        break;
      }
      case CLOSEFROM:
        for (const fd of [...fds.keys()]) if (fd >= a.fd && fds.get(fd)!.preopen === undefined) fds.delete(fd);
        break;
      default:
        throw new FsError('EINVAL', 'posix_spawn', undefined, `unknown spawn file action ${a.cmd}`);
    }
  }
  for (const [fd, spec] of fds) if (spec.cloexec) fds.delete(fd);
  if (fds.size > fs.maxFds) throw new FsError('EMFILE', 'posix_spawn', undefined, `the child would hold ${fds.size} fds; the limit is ${fs.maxFds} (AGENTOS_MAX_OPEN_FILES)`);
  return { fds, cwd: dir };
}

function openAction(a: SpawnAction, cwd: string, fds: Map<number, ChildFd>, fs: SpawnFs, resolve: (path: string) => Jailed): ChildFd {
  const path = normalize(absolute(cwd, a.path));
  const device = deviceAt(path);
  if (device) return { fd: a.fd, vmPath: path, root: '/', rights: ALL_RIGHTS, inheriting: '0', fdflags: 0, kind: device };
  const named = fdNamedBy(path);
  if (named !== undefined) {
    const src = fds.get(named);
    if (!src) throw new FsError('EBADF', 'posix_spawn', path);
    return { ...src, fd: a.fd, cloexec: false };
  }
  const at = resolve(path);
  const flags = openFlags(a.oflag);
  return { fd: a.fd, vmPath: at.vmPath, root: at.root, rights: ALL_RIGHTS, inheriting: '0', kind: 'file', fdflags: flags.append ? 1 : 0, file: fs.open(at, flags, a.mode & 0o7777) };
}

/**
 * C callers pass wasi-libc O_ values; Rust std's Stdio::null passes Linux ones (0 or 1).
 * No bit of 0x14000000 set means the Linux encoding.
 */
export function openFlags(oflag: number): OpenFlags {
  if ((oflag & 0x14000000) !== 0) {
    return {
      read: (oflag & 0x04000000) !== 0,
      write: (oflag & 0x10000000) !== 0,
      append: (oflag & 0x1) !== 0,
      create: (oflag & 0x1000) !== 0,
      truncate: (oflag & 0x8000) !== 0,
      exclusive: (oflag & 0x4000) !== 0,
    };
  }
  const access = oflag & 3;
  return {
    read: access !== 1,
    write: access === 1 || access === 2,
    append: (oflag & 0o2000) !== 0,
    create: (oflag & 0o100) !== 0,
    truncate: (oflag & 0o1000) !== 0,
    exclusive: (oflag & 0o200) !== 0,
  };
}
