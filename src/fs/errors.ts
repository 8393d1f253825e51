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
  constructor(
    readonly code: string,
    prefix: string,
    errno: Errno & keyof typeof ERRNO_NUMBERS,
    syscall: string,
    path: string,
    info: string,
  ) {
    super(errno, syscall, path);
    this.message = `${prefix}: ${syscall} returned ${errno} (${info}) ${path}`;
    this.errnoNumber = ERRNO_NUMBERS[errno];
  }
  readonly errnoNumber: number;
}

const ERRNO_NUMBERS = { ENOTDIR: 20, EISDIR: 21, EINVAL: 22 } as const;
