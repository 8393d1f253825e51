import { FsError } from '../fs/errors.js';
import type { DirNode, FileNode } from '../fs/vfs.js';

/** One open file description: shared by every fd that `dup`s it, so they share a position. */
export interface OpenFile {
  /**
   * Refreshed by `FdTable.get`: after a snapshot the filesystem writes a copy (copy-on-write).
   * A directory only when opened read-only (Linux's open(dir, O_RDONLY)): fstat, fchmod and
   * the like work on it; reading it is EISDIR, writing EBADF (it was not opened for writing).
   */
  node: FileNode | DirNode;
  readonly path: string;
  position: number;
  readonly readable: boolean;
  readonly writable: boolean;
  append: boolean;
  refs: number;
}

export interface OpenFlags {
  read: boolean;
  write: boolean;
  append: boolean;
  create: boolean;
  truncate: boolean;
  exclusive: boolean;
}

const O_WRONLY = 1;
const O_RDWR = 2;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;

/** Node's flag strings ('r', 'w+', 'ax', …) and POSIX numeric flags, as one shape. */
export function parseOpenFlags(flags: string | number, syscall = 'open'): OpenFlags {
  if (typeof flags === 'number') {
    const access = flags & 3;
    return {
      read: access !== O_WRONLY,
      write: access === O_WRONLY || access === O_RDWR,
      append: (flags & O_APPEND) !== 0,
      create: (flags & O_CREAT) !== 0,
      truncate: (flags & O_TRUNC) !== 0,
      exclusive: (flags & O_EXCL) !== 0,
    };
  }
  const base = flags.replace(/[sx]/g, '');
  const plus = base.includes('+');
  const exclusive = flags.includes('x');
  switch (base[0]) {
    case 'r': return { read: true, write: plus, append: false, create: false, truncate: false, exclusive: false };
    case 'w': return { read: plus, write: true, append: false, create: true, truncate: true, exclusive };
    case 'a': return { read: plus, write: true, append: true, create: true, truncate: false, exclusive };
    default: throw new FsError('EINVAL', syscall, undefined, `invalid open flags '${flags}'`);
  }
}

/** What keeps an open file's data alive past its last unlink: the VM filesystem (VirtualFs). */
export interface FileHolds {
  opened(file: FileNode): void;
  closed(file: FileNode): void;
  /** The file's current version (the filesystem copies a node a snapshot froze before changing it). */
  current<T extends FileNode | DirNode>(file: T): T;
}

/** A process's file descriptors; 0-2 are its stdio and never live here. */
export class FdTable {
  private readonly fds = new Map<number, OpenFile>();

  constructor(
    private readonly maxOpen: number,
    private readonly holds: FileHolds,
  ) {}

  get size(): number {
    return this.fds.size;
  }

  open(file: Omit<OpenFile, 'refs'>): number {
    return this.adopt({ ...file, refs: 0 });
  }

  /** Another fd for an open description, maybe another process's (dup, spawn): they share its position. */
  /** Throws EMFILE when no fd is left (before an open changes anything). */
  checkRoom(path: string): void {
    if (this.fds.size + 3 >= this.maxOpen) throw new FsError('EMFILE', 'open', path, `too many open files (limit ${this.maxOpen}, AGENTOS_MAX_OPEN_FILES)`);
  }

  adopt(file: OpenFile): number {
    this.checkRoom(file.path);
    let fd = 3;
    while (this.fds.has(fd)) fd++;
    // A description's first fd, in whichever process, holds its file open; its last close lets go.
    // (A directory's entries are not data an unlink frees: nothing to hold.)
    if (file.refs++ === 0 && file.node.kind === 'file') this.holds.opened(file.node);
    this.fds.set(fd, file);
    return fd;
  }

  get(fd: number, syscall: string): OpenFile {
    const file = this.fds.get(fd);
    if (!file) throw new FsError('EBADF', syscall);
    file.node = this.holds.current(file.node);
    return file;
  }

  close(fd: number): void {
    const file = this.get(fd, 'close');
    this.fds.delete(fd);
    if (--file.refs === 0 && file.node.kind === 'file') this.holds.closed(file.node);
  }

  closeAll(): void {
    for (const fd of [...this.fds.keys()]) this.close(fd);
  }
}
