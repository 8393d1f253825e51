import { FsError } from '../fs/errors.js';
import { normalize } from '../fs/paths.js';
import { deviceAt } from '../wasm/runner/contract.js';

/**
 * The one enforcement point of filesystem permissions. Every call that reads or changes a
 * VM filesystem (guest JS, WASI and the command host ABI through process/guest-fs.ts,
 * spawn file actions, the protocol's fs/* methods) names its operation and path here
 * before it touches the VFS, by path or by fd. Today the answer comes from the VM's
 * `permissions.fs` alone; a policy (per path, per operation) slots in behind `checkFs`.
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

/** Who is asking: a guest process of a VM with its permission, or the host over the protocol. */
export type FsActor = { readonly kind: 'guest'; readonly permission: FsPermission } | { readonly kind: 'host' };

/** The host drives the VM and populates it: it may do anything the VFS allows. */
export const HOST_ACTOR: FsActor = { kind: 'host' };

/** What reading and writing a device (/dev/null, /dev/zero, /dev/urandom) is: it stores nothing. */
const DEVICE_IO: ReadonlySet<FsOperation> = new Set(['read', 'write', 'truncate']);

/** Throws the errno the actor gets for `operation` on `path` (EACCES, EROFS), or returns. */
export function checkFs(actor: FsActor, operation: FsOperation, path: string | undefined, syscall: string): void {
  if (actor.kind === 'host') return;
  if (actor.permission === 'none') throw new FsError('EACCES', syscall, path, 'permission denied: this VM gives guests no filesystem access');
  if (actor.permission === 'read-only' && operation !== 'read') {
    // The devices stay usable, as /dev (a filesystem of its own) is under a read-only root.
    if (DEVICE_IO.has(operation) && path !== undefined && deviceAt(normalize(path))) return;
    throw new FsError('EROFS', syscall, path, 'read-only file system: this VM gives guests read-only access');
  }
}

/**
 * The operation an open(2) with these flags performs. O_CREAT creates only what is not
 * there: opening an existing file with it, read-only, reads (as on Linux).
 */
export function openOperation(flags: { write: boolean; create: boolean; truncate: boolean }, exists: () => boolean): FsOperation {
  if (flags.truncate) return 'truncate';
  if (flags.write) return 'write';
  return flags.create && !exists() ? 'create' : 'read';
}
