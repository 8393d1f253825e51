/**
 * The filesystem side of a guest's Unix domain sockets: bind(2) makes a socket inode at its
 * path and connect(2) finds one, each judged by the VM's fs policy first (bind creates an
 * entry: `create`; connect writes to the socket: `write`), as Linux judges them by the
 * directory's and the socket's permissions. The listener itself is the VM network's
 * (src/net/unix-listeners.ts), keyed by the inode. Errors are the errno Linux gives, as
 * libuv reports it to Node.
 */
import { FsError } from '../../fs/errors.js';
import type { VirtualFs } from '../../fs/vfs.js';
import { checkFs } from '../../permissions/fs.js';
import { canonicalPath } from '../../permissions/fs-target.js';
import type { ProcessPermits } from '../../permissions/process-permits.js';
import type { UnixKey } from '../../net/unix-listeners.js';
import { NetError } from '../../net/vm-network.js';

const SOCKET_MODE = 0o755;
const ALL_READ = 0o444;
const ALL_WRITE = 0o222;

/**
 * connect(2) needs write permission on the socket (the one place the VM keeps Linux's
 * mode bits: a guest that chmods its socket 0 is refused, as on Linux). The guest runs as
 * the VM's user, never root.
 */
function writable(node: { uid: number; gid: number; mode: number }, user: { uid: number; gid: number }): boolean {
  const bit = node.uid === user.uid ? 0o200 : node.gid === user.gid ? 0o020 : 0o002;
  return (node.mode & bit) !== 0;
}

export interface UnixFs {
  readonly vfs: VirtualFs;
  readonly permits: ProcessPermits;
}

/** A socket's address as the guest sends it: an absolute VM path, or `\0` and an abstract name. */
export const isAbstract = (address: string) => address.startsWith('\0');

function asNetError(err: unknown, syscall: 'listen' | 'connect', shown: string): never {
  if (!(err instanceof FsError)) throw err;
  let code: string = err.errno;
  // bind(2): a name already there, whatever it is, is an address in use; libuv reports a
  // missing directory as EACCES (for Windows' sake), and Node shows that.
  if (syscall === 'listen' && code === 'EEXIST') code = 'EADDRINUSE';
  if (syscall === 'listen' && code === 'ENOENT') code = 'EACCES';
  throw new NetError(code, `${syscall} ${code} ${shown}`);
}

/**
 * Makes the socket inode at `path` (absolute): the key to listen on, and the unlink that
 * Node's server.close() does (only while the path still names this socket).
 */
export function bindPath(fs: UnixFs, path: string, access: { readableAll: boolean; writableAll: boolean } = { readableAll: false, writableAll: false }): { key: UnixKey; unlink: () => void } {
  if (isAbstract(path)) return { key: { abstract: path.slice(1) }, unlink: () => {} };
  try {
    checkFs({ kind: 'guest', permits: fs.permits }, 'create', fs.permits.allowsAll('fs') ? path : canonicalPath(fs.vfs, path, false), 'bind', path);
    // 0777 less the umask (022), as bind(2) makes it; readableAll/writableAll add the
    // bits for everyone, as libuv's uv_pipe_chmod does.
    const node = fs.vfs.makeSocket(path, SOCKET_MODE | (access.readableAll ? ALL_READ : 0) | (access.writableAll ? ALL_WRITE : 0));
    const ino = node.ino;
    return {
      key: { ino },
      unlink: () => {
        try {
          if (fs.vfs.find(path, 'unlink')?.ino === ino) fs.vfs.unlink(path);
        } catch {
          // Gone or renamed meanwhile: nothing of ours to remove.
        }
      },
    };
  } catch (err) {
    return asNetError(err, 'listen', path);
  }
}

/** The socket `path` (absolute) leads to: ENOENT when nothing is there, ECONNREFUSED for what is not a socket. */
export function socketAt(fs: UnixFs, path: string): UnixKey {
  if (isAbstract(path)) return { abstract: path.slice(1) };
  try {
    checkFs({ kind: 'guest', permits: fs.permits }, 'write', fs.permits.allowsAll('fs') ? path : canonicalPath(fs.vfs, path, true), 'connect', path);
    const node = fs.vfs.find(path, 'connect');
    if (!node) throw new FsError('ENOENT', 'connect', path);
    if (node.kind !== 'socket') throw new NetError('ECONNREFUSED', `connect ECONNREFUSED ${path}`);
    if (!writable(node, fs.vfs.owner)) throw new FsError('EACCES', 'connect', path);
    return { ino: node.ino };
  } catch (err) {
    return asNetError(err, 'connect', path);
  }
}
