/** The errno names the VM filesystem raises, with the text Node prints for each. */
const DESCRIPTIONS = {
  ENOENT: 'no such file or directory',
  EEXIST: 'file already exists',
  ENOTDIR: 'not a directory',
  EISDIR: 'illegal operation on a directory',
  ENOTEMPTY: 'directory not empty',
  ENOSPC: 'no space left on device',
  ELOOP: 'too many symbolic links encountered',
  EINVAL: 'invalid argument',
  ENAMETOOLONG: 'name too long',
  EBADF: 'bad file descriptor',
  EMFILE: 'too many open files',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EXDEV: 'cross-device link not permitted',
  EBUSY: 'resource busy or locked',
  EFBIG: 'file too large',
  EROFS: 'read-only file system',
  // open(2) of a Unix socket's name.
  ENXIO: 'no such device or address',
  // Extended attributes.
  ENODATA: 'no such attribute',
  ENOTSUP: 'operation not supported',
  ERANGE: 'result too large',
  // Process calls (spawn, wait, kill) report these too.
  ENOEXEC: 'exec format error',
  ECHILD: 'no child processes',
  ESRCH: 'no such process',
  EAGAIN: 'resource temporarily unavailable',
  ENFILE: 'too many open files in system',
  E2BIG: 'argument list too long',
  // Terminal calls on something that is not a terminal.
  ENOTTY: 'inappropriate ioctl for device',
  // WASI: a path outside the process's preopens.
  ENOTCAPABLE: 'capabilities insufficient',
} as const;

export type Errno = keyof typeof DESCRIPTIONS;

/** A filesystem failure as Node reports one: `ENOENT: no such file or directory, open '/x'`. */
export class FsError extends Error {
  constructor(
    readonly errno: Errno,
    readonly syscall: string,
    readonly path?: string,
    detail?: string,
  ) {
    super(`${errno}: ${detail ?? DESCRIPTIONS[errno]}, ${syscall}${path !== undefined ? ` '${path}'` : ''}`);
    this.name = 'FsError';
  }
}

/**
 * One of Node's own fs errors (a SystemError such as ERR_FS_CP_EINVAL) rather than a bare
 * errno: guests get Node's `code`, its positive `errno` number and its exact message.
 */
export class NodeSystemError extends FsError {
  readonly errnoNumber: number;
  constructor(
    readonly code: keyof typeof NODE_SYSTEM_ERRORS,
    syscall: string,
    path: string,
    info: string,
  ) {
    const { prefix, errno, number } = NODE_SYSTEM_ERRORS[code];
    super(errno, syscall, path);
    this.message = `${prefix}: ${syscall} returned ${errno} (${info}) ${path}`;
    this.errnoNumber = number;
  }
}

/** Node 20's message prefix, errno name and errno number for each (ERR_FS_EISDIR says 22, as Node does). */
const NODE_SYSTEM_ERRORS = {
  ERR_FS_CP_EINVAL: { prefix: 'Invalid src or dest', errno: 'EINVAL', number: 22 },
  ERR_FS_EISDIR: { prefix: 'Path is a directory', errno: 'EISDIR', number: 22 },
  ERR_FS_CP_DIR_TO_NON_DIR: { prefix: 'Cannot overwrite non-directory with directory', errno: 'EISDIR', number: 21 },
  ERR_FS_CP_NON_DIR_TO_DIR: { prefix: 'Cannot overwrite directory with non-directory', errno: 'ENOTDIR', number: 20 },
  ERR_FS_CP_SYMLINK_TO_SUBDIRECTORY: { prefix: 'Cannot overwrite symlink in subdirectory of self', errno: 'EINVAL', number: 22 },
  ERR_FS_CP_SOCKET: { prefix: 'Cannot copy a socket file', errno: 'EINVAL', number: 22 },
  ERR_FS_CP_EEXIST: { prefix: 'Target already exists', errno: 'EEXIST', number: 17 },
} as const satisfies Record<string, { prefix: string; errno: Errno; number: number }>;
