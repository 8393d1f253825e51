/** WASI preview1 errno values, and the mapping from the errno names our VFS raises. */
export const E = {
  SUCCESS: 0, TOOBIG: 1, ACCES: 2, AFNOSUPPORT: 5, AGAIN: 6, BADF: 8, BUSY: 10, CHILD: 12, EXIST: 20, FAULT: 21, FBIG: 22,
  INTR: 27, INVAL: 28, IO: 29, ISDIR: 31, LOOP: 32, MFILE: 33, NAMETOOLONG: 37, NFILE: 41, NOENT: 44, NOEXEC: 45, NOSPC: 51,
  NOSYS: 52, NOTDIR: 54, NOTEMPTY: 55, NOTSOCK: 57, NOTSUP: 58, NOTTY: 59, PERM: 63, PIPE: 64, RANGE: 68, ROFS: 69,
  SPIPE: 70, SRCH: 71, XDEV: 75, NOTCAPABLE: 76,
  // Not in preview1: the agentOS libc numbers ENODATA 78 (found by feeding getfattr each
  // value past 76 and reading its strerror text).
  NODATA: 78,
} as const;

const BY_NAME: Record<string, number> = {
  ENOENT: E.NOENT, EEXIST: E.EXIST, ENOTDIR: E.NOTDIR, EISDIR: E.ISDIR, ENOTEMPTY: E.NOTEMPTY, ENOSPC: E.NOSPC,
  ELOOP: E.LOOP, EINVAL: E.INVAL, ENAMETOOLONG: E.NAMETOOLONG, EBADF: E.BADF, EMFILE: E.MFILE, EACCES: E.ACCES,
  EPERM: E.PERM, EXDEV: E.XDEV, EBUSY: E.BUSY, EFBIG: E.FBIG, EROFS: E.ROFS, ECHILD: E.CHILD, ESRCH: E.SRCH,
  ENOEXEC: E.NOEXEC, EAGAIN: E.AGAIN, EPIPE: E.PIPE, E2BIG: E.TOOBIG, ENOSYS: E.NOSYS, ENOTSUP: E.NOTSUP,
  ERANGE: E.RANGE, ENODATA: E.NODATA, ENFILE: E.NFILE, ENOTCAPABLE: E.NOTCAPABLE, ENOTTY: E.NOTTY,
};

export function errnoOf(name: string | undefined): number {
  return (name && BY_NAME[name]) || E.IO;
}

/** Thrown inside a WASI call to return an errno from it. */
export class WasiError {
  constructor(readonly errno: number) {}
}

/** Thrown by proc_exit to unwind out of the module. */
export class ProcExit {
  constructor(readonly code: number) {}
}
