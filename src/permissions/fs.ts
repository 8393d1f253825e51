import { FsError } from '../fs/errors.js';
import { normalize } from '../fs/paths.js';
import { deviceAt } from '../wasm/runner/contract.js';

import { AskPending, type ProcessPermits } from './process-permits.js';

/**
 * The one enforcement point of filesystem permissions. Every call that reads or changes a
 * VM filesystem (guest JS, WASI and the command host ABI through process/guest-fs.ts,
 * spawn file actions, module loading, the protocol's fs/* methods) names its operation and
 * path here before it touches the VFS, by path or by fd. The answer is the VM's policy's
 * for the `fs` scope (permissions/policy.ts); `ask` throws AskPending, which the guest's
 * call turns into a wait for the host's answer and a retry (process-permits.ts).
 */
export type FsPermission = 'read-write' | 'read-only' | 'none';

export type FsOperation =
  /** Reading data or metadata, listing, opening for reading, closing. */
  | 'read'
  /** Changing a file's data (write, append, copy onto). */
  | 'write'
  /** Making a new entry: a file, directory or symlink. */
  | 'create'
  /** Removing an entry (unlink, rmdir, rm). */
  | 'delete'
  | 'rename'
  /** A hard link: a new entry for an existing inode. */
  | 'link'
  | 'truncate'
  | 'chmod'
  | 'chown'
  /** Setting access and modification times. */
  | 'utimes'
  /** Setting or removing an extended attribute. */
  | 'xattr';

/** Who is asking: a guest process with its VM's permissions, or the host over the protocol. */
export type FsActor = { readonly kind: 'guest'; readonly permits: ProcessPermits } | { readonly kind: 'host' };

/** The host drives the VM and populates it: it may do anything the VFS allows. */
export const HOST_ACTOR: FsActor = { kind: 'host' };

/** What reading and writing a device (/dev/null, /dev/zero, /dev/urandom) is: it stores nothing. */
const DEVICE_IO: ReadonlySet<FsOperation> = new Set(['read', 'write', 'truncate']);

/**
 * Throws the errno the actor gets for `operation` on `path` (EACCES; EROFS under the
 * read-only shorthand), or AskPending, or returns. `path` is judged (canonical, see
 * fs-target.ts); `shown` is the path the error names (as the caller spelt it). `path`
 * undefined (an fd that names no file) is judged as the empty target: only rules without
 * paths, or the default, apply.
 */
export function checkFs(actor: FsActor, operation: FsOperation, path: string | undefined, syscall: string, shown: string | undefined = path): void {
  if (actor.kind === 'host') return;
  const { permits } = actor;
  if (permits.allowsAll('fs')) return;
  const shorthand = permits.vm.policy.fsShorthand;
  // The devices stay usable (as /dev, a filesystem of its own, is under a read-only root)
  // unless the guest has no filesystem at all.
  const device = DEVICE_IO.has(operation) && path !== undefined && deviceAt(normalize(path)) !== undefined;
  if (device && shorthand !== 'none' && permits.vm.policy.scopes.fs.uniform !== 'deny') return;
  if (permits.judgeSync('fs', operation, path ?? '')) return;
  if (shorthand === 'none') throw new FsError('EACCES', syscall, shown, 'permission denied: this VM gives guests no filesystem access');
  if (shorthand === 'read-only') throw new FsError('EROFS', syscall, shown, 'read-only file system: this VM gives guests read-only access');
  // Worded as Linux and Node word it: the guest cannot tell a policy from a file's mode.
  throw new FsError('EACCES', syscall, shown);
}

export { AskPending };

/**
 * The operation an open(2) with these flags performs. O_CREAT creates only what is not
 * there: opening an existing file with it, read-only, reads (as on Linux).
 */
export function openOperation(flags: { write: boolean; create: boolean; truncate: boolean }, exists: () => boolean): FsOperation {
  if (flags.truncate) return 'truncate';
  if (flags.write) return 'write';
  return flags.create && !exists() ? 'create' : 'read';
}
