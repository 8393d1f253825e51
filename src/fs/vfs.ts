import { randomFillSync } from 'node:crypto';
import { DEVICE_READ_CHUNK, type DeviceKind } from '../wasm/runner/contract.js';
import { FsError } from './errors.js';
import { checkPath, components, normalize, type PathRules } from './paths.js';
import { byteCount } from './sizes.js';

export type NodeKind = 'file' | 'directory' | 'symlink' | 'socket';

interface Meta {
  readonly ino: number;
  /**
   * The epoch of the filesystem that may change this node in place (copy-on-write, see
   * `adopt`): once a snapshot is taken the epoch moves on, the node is frozen, shared with
   * the snapshot and its forks, and each of them changes a copy of it instead.
   */
  epoch: number;
  /** Permission bits only (0o7777); the file type comes from `kind`. */
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  /** Times in nanoseconds, so a guest that sets one reads back exactly what it set. */
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  readonly birthtimeNs: bigint;
  /** Extended attributes, made on the first one set. */
  xattrs?: Map<string, Uint8Array>;
}
export interface FileNode extends Meta {
  readonly kind: 'file';
  /** Backing store; grows geometrically, `size` bytes of it are the file, the rest is zeros. */
  data: Uint8Array;
  size: number;
  /** `data` is shared with a frozen version of this file: copied before the first change. */
  dataShared?: boolean;
  /** A character device (/dev/null, /dev/zero, /dev/urandom): reads as it, discards writes. */
  readonly device?: DeviceKind;
}
export interface DirNode extends Meta {
  readonly kind: 'directory';
  entries: Map<string, FsNode>;
  /**
   * Its parent (an accessor, see DIR_PROTO): held weakly, so a directory a snapshot froze
   * does not keep alive the older versions of the directories above it once no tree holds
   * them; a directory in a live tree always has its parent alive through that tree.
   */
  parent: DirNode;
  /** Its name in `parent` (a directory has exactly one), so its path costs its depth. */
  name: string;
}
export interface SymlinkNode extends Meta {
  readonly kind: 'symlink';
  readonly target: string;
}
/**
 * A Unix domain socket's name (S_IFSOCK): made by a guest's listen on a path, it holds no
 * data; the listener itself lives in the VM's network (src/net/broker.ts), found by this
 * node's inode number, so a rename or a hard link still reaches it, as on Linux.
 */
export interface SocketNode extends Meta {
  readonly kind: 'socket';
}
export type FsNode = FileNode | DirNode | SymlinkNode | SocketNode;

export interface Stat {
  type: NodeKind;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  ino: number;
  nlink: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  birthtimeMs: number;
  /** The same times in nanoseconds, as decimal strings (exact, unlike the ms numbers). */
  atimeNs: string;
  mtimeNs: string;
  ctimeNs: string;
}

export interface FsBounds extends PathRules {
  /** Largest value of one extended attribute (XATTR_SIZE_MAX on Linux). */
  readonly xattrValueMax: number;
  readonly quotaBytes: number;
  readonly inodeLimit: number;
  readonly symlinkFollowMax: number;
  /** Components one path resolution may walk, symlink targets included (ELOOP past it). */
  readonly pathWalkMax: number;
  /** A package.json module resolution reads: its bytes and nesting (package-json.ts). */
  readonly packageJsonMaxBytes: number;
  readonly packageJsonMaxDepth: number;
}

/**
 * Files a directory lists without holding them yet (a VM's command stubs in /usr/bin):
 * each is made on first use, so ten thousand idle VMs do not each hold 166 inodes.
 */
export interface LazyEntries {
  names(): Iterable<string>;
  has(name: string): boolean;
  /** The file to make for `name` (a device node when `device` is set). */
  make(name: string): { data: Uint8Array; mode: number; device?: DeviceKind };
}

/**
 * Told of every change to the tree, whoever makes it (guest JS, WASI and command calls,
 * the host): fs-watch.ts turns these into fs/changed and guest fs.watch events. A deleted
 * entry is told before it goes (its path still resolves), the others after.
 */
export interface FsChangeListener {
  entry(kind: 'created' | 'deleted', dir: DirNode, name: string, node: FsNode): void;
  renamed(fromDir: DirNode, fromName: string, toDir: DirNode, toName: string, node: FsNode): void;
  /** Its data or attributes changed. */
  modified(node: FsNode): void;
}

/** Called when a quota stops an operation, so the owner can log and count it. */
export type QuotaListener = (limit: 'fs_quota_bytes' | 'fs_inode_limit' | 'fs_path_walk_max' | 'package_json_max_bytes' | 'package_json_max_depth', observed: number, capacity: number) => void;

const TYPE_BITS: Record<NodeKind, number> = { file: 0o100000, directory: 0o040000, symlink: 0o120000, socket: 0o140000 };
const EMPTY = new Uint8Array(0);
const now = (): bigint => BigInt(Date.now()) * 1_000_000n;
/** Every directory's prototype: `parent` kept as a WeakRef (see DirNode.parent); a parent gone is read as the directory itself. */
const DIR_PROTO = {
  get parent(): DirNode {
    return (this as unknown as { parentRef?: WeakRef<DirNode> }).parentRef?.deref() ?? (this as unknown as DirNode);
  },
  set parent(dir: DirNode) {
    (this as unknown as { parentRef?: WeakRef<DirNode> }).parentRef = new WeakRef(dir);
  },
};
/** A new directory node (DIR_PROTO's) from its fields. */
const dirNode = (fields: object): DirNode => Object.assign(Object.create(DIR_PROTO) as DirNode, fields);
/** Epochs are unique in the process, so a node frozen by one filesystem is frozen for every other. */
let lastEpoch = 0;

/**
 * A filesystem frozen at one moment (`VirtualFs.freeze`): its root, and what a copy needs
 * to go on from it. Nothing in it is ever changed again; any number of filesystems may
 * start from it (`VirtualFs.fromImage`) and share its nodes until they change them.
 */
export interface FsImage {
  readonly root: DirNode;
  /** Inode versions no directory entry of the tree points at yet (see `VirtualFs.detached`). */
  readonly detached: ReadonlyMap<number, FsNode>;
  /** Bytes and entries charged (files still open but unlinked are not part of an image). */
  readonly bytes: number;
  readonly inodes: number;
  readonly nextIno: number;
  /** Per lazy directory (by inode): the names already made or removed, never made again. */
  readonly settled: ReadonlyMap<number, ReadonlySet<string>>;
}

interface WalkOptions {
  /** Make missing directories on the way (`mkdir -p`); `made`: how many of the path's components name the first one made. */
  create?: { mode?: number; made?: number };
  /** Resolve a relative path from this directory rather than the root. */
  from?: DirNode;
  /** Components left to walk, shared by several lookups that together make one request. */
  budget?: WalkBudget;
}

/** What is left of a walk bound shared across lookups (see `lookupFrom`). */
export interface WalkBudget {
  left: number;
}

interface Walked {
  /** The directory that holds (or would hold) the final component. */
  dir: DirNode;
  /** The final component's name; null when the path names the root or ends in `..`. */
  name: string | null;
  node: FsNode | undefined;
}

/**
 * One VM's filesystem: a tree of inodes in memory, bounded in bytes and inodes. All paths
 * are VM paths; resolution follows symlinks inside this tree only, and `..` at the root
 * stays at the root, so nothing here can name a host file.
 */
export class VirtualFs {
  private rootNode: DirNode;
  /** Nodes of this epoch are this filesystem's to change in place; older ones are frozen. */
  private epoch = ++lastEpoch;
  /** Per inode copied here from a frozen node: its version here (maybe frozen since, by a later snapshot). */
  private readonly local = new Map<number, FsNode>();
  /**
   * Versions a directory entry may not point at yet: an inode copied through an open file
   * or one of several hard links. Lookups through any entry find them here, and so does
   * every snapshot (it carries a copy of this map).
   */
  private readonly detached = new Map<number, FsNode>();
  /** Open descriptions per inode (see `opened`), kept here so a copied node needs none. */
  private readonly openCounts = new Map<number, number>();
  /** Unlinked files still open, by inode: charged, but not part of a snapshot. */
  private readonly orphans = new Map<number, FileNode>();
  private nextIno = 1;
  private bytes = 0;
  private inodes = 0;
  /** Who owns what is created from now on: the VM's user. */
  owner = { uid: 0, gid: 0 };
  /** While set, symlinks and `..` resolve as if this directory were the root (see `confined`). */
  private jail: DirNode | undefined;
  /** Per lazy directory: its source, and the names already made or removed (never made again). */
  private readonly lazy = new Map<number, { source: LazyEntries; settled: Set<string> }>();
  /** Settled names of lazy directories carried by the image this filesystem started from. */
  private inherited: ReadonlyMap<number, ReadonlySet<string>> | undefined;
  /** Per directory listed: its names sorted (see `readdirPage`); dropped when a name is added. */
  private readonly listings = new WeakMap<DirNode, string[]>();
  /** Who hears of changes (fs-watch.ts), while anything watches. */
  changes: FsChangeListener | undefined;

  constructor(
    readonly bounds: FsBounds,
    private readonly onQuota?: QuotaListener,
    image?: FsImage,
  ) {
    if (image) {
      this.rootNode = image.root;
      this.bytes = image.bytes;
      this.inodes = image.inodes;
      this.nextIno = image.nextIno;
      for (const [ino, node] of image.detached) this.detached.set(ino, node);
      this.inherited = image.settled;
      return;
    }
    const root = dirNode({ ...this.newMeta(0o755), kind: 'directory', entries: new Map(), name: '' });
    root.parent = root;
    this.rootNode = root;
  }

  /** The root directory, this filesystem's own copy. */
  get root(): DirNode {
    if (this.rootNode.epoch !== this.epoch) this.rootNode = this.adopt(this.rootNode);
    return this.rootNode;
  }

  // ---- copy-on-write ----

  /**
   * Freezes the tree as it is now and returns it as an image: O(1) in the size of the tree
   * (plus the few detached versions), since nothing is copied. From here on this filesystem
   * changes copies of what it changes (`adopt`), so the image never sees a later write.
   */
  freeze(): FsImage {
    let bytes = this.bytes;
    let inodes = this.inodes;
    for (const [ino, orphan] of this.orphans) {
      const file = (this.local.get(ino) ?? this.detached.get(ino) ?? orphan) as FileNode;
      bytes -= file.size + xattrTotal(file);
      inodes--;
    }
    const settled = new Map<number, ReadonlySet<string>>();
    for (const [ino, { settled: names }] of this.lazy) settled.set(ino, new Set(names));
    const image: FsImage = { root: this.rootNode, detached: new Map(this.detached), bytes, inodes, nextIno: this.nextIno, settled };
    this.epoch = ++lastEpoch;
    return image;
  }

  /**
   * This filesystem's own version of `node`, copied from the latest version it knows
   * (shallow: a file's bytes stay shared until written, a directory's entries are a new
   * map whose nodes are adopted as they are reached). `parent`: the own directory whose
   * entry led here, fixed to point at the copy; without one (an open file, a directory
   * reached from outside the tree) the copy is recorded as detached, so every other
   * route to the inode finds it.
   */
  private adopt<T extends FsNode>(node: T, parent?: DirNode, name?: string): T {
    if (node.epoch === this.epoch) return node;
    const latest = (this.local.get(node.ino) ?? this.detached.get(node.ino) ?? node) as T;
    let own = latest;
    if (latest.epoch !== this.epoch) {
      own = latest.kind === 'directory' ? (dirNode({ ...latest, epoch: this.epoch }) as T) : { ...latest, epoch: this.epoch };
      if (own.kind === 'file') own.dataShared = own.data.byteLength > 0;
      if (own.xattrs) own.xattrs = new Map(own.xattrs);
      this.local.set(own.ino, own);
      if (own.kind === 'directory') {
        own.entries = new Map((latest as DirNode).entries);
        const old = latest as DirNode;
        if (old.parent === old) own.parent = own;
        else if (parent) own.parent = parent;
        else {
          // A directory has one name: fix its parent's entry rather than detach it.
          own.parent = this.adopt(old.parent);
          if (own.parent.entries.get(own.name)?.ino === own.ino) own.parent.entries.set(own.name, own);
        }
      }
    }
    if (parent && name !== undefined && parent.entries.get(name) !== own) parent.entries.set(name, own);
    if (own.kind !== 'directory' && (!parent || own.nlink > 1 || this.detached.has(own.ino))) this.detached.set(own.ino, own);
    return own;
  }

  /** A node held outside the tree (an open file, a directory found earlier): its current version here. */
  current<T extends FsNode>(node: T): T {
    return this.adopt(node);
  }

  /** Entry `name` of the own directory `dir`, adopted. */
  private entry(dir: DirNode, name: string): FsNode | undefined {
    const node = dir.entries.get(name);
    return node && node.epoch !== this.epoch ? this.adopt(node, dir, name) : node;
  }

  /** Before a file's bytes change in place: its own copy of bytes still shared with a frozen version. */
  private ownData(file: FileNode): void {
    if (!file.dataShared) return;
    file.data = file.data.slice(0, Math.max(file.size, 0));
    file.dataShared = false;
  }

  /** A bound hit by code that reads this filesystem (module resolution), for the owner to log and count. */
  reportLimit(limit: Parameters<QuotaListener>[0], observed: number, capacity: number): void {
    this.onQuota?.(limit, observed, capacity);
  }

  /** Gives the directory at `path` entries that are made when first looked up or listed. */
  provide(path: string, source: LazyEntries): void {
    const node = this.lookup(path, 'provide');
    if (node.kind !== 'directory') throw new FsError('ENOTDIR', 'provide', path);
    // A filesystem made from an image goes on where it left off: names made or removed stay so.
    this.lazy.set(node.ino, { source, settled: new Set(this.inherited?.get(node.ino)) });
  }

  /** A directory's entry `name`, making it first if it is a lazy one not yet made. */
  private child(dir: DirNode, name: string): FsNode | undefined {
    const node = this.entry(dir, name);
    if (node || this.lazy.size === 0) return node;
    const lazy = this.lazy.get(dir.ino);
    if (!lazy || lazy.settled.has(name) || !lazy.source.has(name)) return undefined;
    lazy.settled.add(name);
    const { data, mode, device } = lazy.source.make(name);
    // A device node is /dev's, not the VM's to pay for (Linux's devtmpfs is a filesystem
    // of its own), so /dev/null is there even in a full VM. Anything else: a full VM
    // simply goes without the entry, the guest did not ask for it.
    if (!device && (this.inodes + 1 > this.bounds.inodeLimit || this.bytes + data.byteLength > this.bounds.quotaBytes)) return undefined;
    const file = this.newMeta(mode, !device) as FileNode;
    Object.assign(file, { kind: 'file', data: device ? EMPTY : data, size: device ? 0 : data.byteLength, ...(device ? { device } : {}) });
    this.bytes += file.size;
    dir.entries.set(name, file);
    this.listings.delete(dir);
    return file;
  }

  /** Makes every lazy entry of `dir` not yet made (before it is listed, emptied or replaced). */
  private fill(dir: DirNode): void {
    const lazy = this.lazy.get(dir.ino);
    if (!lazy) return;
    for (const name of lazy.source.names()) if (!lazy.settled.has(name)) this.child(dir, name);
  }

  get usage(): { bytes: number; inodes: number } {
    return { bytes: this.bytes, inodes: this.inodes };
  }

  // ---- resolution ----

  /**
   * Resolves `path` one component at a time. The components still to walk are a stack (the
   * next on top), so a symlink costs the length of its own target, and the whole walk,
   * links expanded included, is bounded by `pathWalkMax` components: no spelling of a path
   * (links through links through `x/..` runs) makes one call do more than that. With
   * `create`, missing directories on the way are made (`mkdir -p`) in the same walk.
   */
  private walk(path: string, followFinal: boolean, syscall: string, options: WalkOptions = {}): Walked {
    checkPath(path, this.bounds, syscall);
    const { create, from } = options;
    const pending = components(path).reverse();
    const budget = options.budget ?? { left: this.bounds.pathWalkMax };
    let dir = from && !path.startsWith('/') ? this.current(from) : this.root;
    let follows = 0;
    // How many of the pending components (the top ones) came from symlink targets, and how
    // many of the path's own have been walked.
    let linked = 0;
    let lexical = 0;
    while (pending.length > 0) {
      if (pending.length > budget.left) {
        budget.left = -1; // spent: a request sharing this budget stops here too
        throw this.walkTooLong(path, syscall, follows > 0);
      }
      budget.left--;
      const part = pending.pop()!;
      const fromLink = linked > 0;
      if (fromLink) linked--;
      else lexical++;
      const last = pending.length === 0;
      if (part === '..') {
        if (dir !== this.jail) dir = dir.parent;
        if (last) return { dir: dir.parent, name: null, node: dir };
        continue;
      }
      let child = this.child(dir, part);
      if (child?.kind === 'symlink' && (!last || followFinal)) {
        if (++follows > this.bounds.symlinkFollowMax) throw new FsError('ELOOP', syscall, path);
        child.atimeNs = now();
        if (child.target.startsWith('/')) dir = this.jail ?? this.root;
        const target = components(child.target);
        for (let j = target.length - 1; j >= 0; j--) pending.push(target[j]!);
        linked += target.length;
        continue;
      }
      // mkdir -p makes what the path names, never what a dangling link points at (as Node).
      if (!child && create && fromLink) throw new FsError('ENOENT', syscall, path);
      if (last) return { dir, name: part, node: child };
      if (!child && create) {
        child = this.makeDir(dir, part, create.mode);
        create.made ??= lexical;
      }
      if (!child) throw new FsError('ENOENT', syscall, path);
      if (child.kind !== 'directory') throw new FsError('ENOTDIR', syscall, path);
      dir = child;
    }
    return { dir: dir.parent, name: null, node: dir };
  }

  /** Past the walk bound: ELOOP when links made the walk long (as Linux says), else ENAMETOOLONG. */
  private walkTooLong(path: string, syscall: string, throughLinks: boolean): FsError {
    this.onQuota?.('fs_path_walk_max', this.bounds.pathWalkMax + 1, this.bounds.pathWalkMax);
    return new FsError(throughLinks ? 'ELOOP' : 'ENAMETOOLONG', syscall, path.length > 64 ? `${path.slice(0, 64)}…` : path);
  }

  /**
   * Runs `fn` with resolution confined beneath the directory `path`, as chroot does: a
   * symlink to an absolute path, or `..` at that directory, cannot lead out of it. WASI
   * preopens use it, so no path a program names can leave the directories it was given.
   */
  confined<T>(path: string, fn: () => T): T {
    const node = this.lookup(path, 'chroot');
    if (node.kind !== 'directory') throw new FsError('ENOTDIR', 'chroot', path);
    const outer = this.jail;
    this.jail = node;
    try {
      return fn();
    } finally {
      this.jail = outer;
    }
  }

  private walkQuiet(path: string): FsNode | undefined {
    try {
      return this.walk(path, true, 'open').node;
    } catch {
      return undefined;
    }
  }

  lookup(path: string, syscall: string, follow = true): FsNode {
    const { node } = this.walk(path, follow, syscall);
    if (!node) throw new FsError('ENOENT', syscall, path);
    return node;
  }

  /**
   * Resolves `path` relative to the directory `from` (as `openat` does), drawing on a
   * `budget` shared with the other lookups of the same request, so a caller that probes
   * many names (module resolution) does bounded work in all, not per probe.
   */
  lookupFrom(from: DirNode, path: string, syscall: string, budget: WalkBudget, follow = true): FsNode {
    const { node } = this.walk(path, follow, syscall, { from, budget });
    if (!node) throw new FsError('ENOENT', syscall, path);
    return node;
  }

  exists(path: string): boolean {
    try {
      this.lookup(path, 'access');
      return true;
    } catch {
      return false;
    }
  }

  stat(path: string, follow = true): Stat {
    return statOf(this.lookup(path, follow ? 'stat' : 'lstat', follow));
  }

  realpath(path: string): string {
    const node = this.lookup(path, 'realpath');
    return this.pathOf(node, path);
  }

  /**
   * The canonical path of a directory (or of a file, found through `hint`'s parent): its
   * ancestors' names, so O(depth); a tree deeper than a path can spell is ENAMETOOLONG.
   */
  private pathOf(node: FsNode, hint: string): string {
    if (node.kind !== 'directory') {
      const { dir, name } = this.walk(hint, true, 'realpath');
      const parent = this.pathOf(dir, '/');
      return parent === '/' ? `/${name}` : `${parent}/${name}`;
    }
    const names: string[] = [];
    let length = 0;
    for (let dir = node; dir !== this.root; dir = dir.parent) {
      length += dir.name.length + 1;
      if (length > this.bounds.pathMax) throw new FsError('ENAMETOOLONG', 'realpath', hint);
      names.push(dir.name);
    }
    return `/${names.reverse().join('/')}`;
  }

  // ---- files ----

  readFile(path: string): Uint8Array {
    const node = this.lookup(path, 'open');
    if (node.kind === 'directory') throw new FsError('EISDIR', 'read', path);
    if (node.kind === 'socket') throw new FsError('ENXIO', 'open', path);
    return this.readRest(node as FileNode, 0, path);
  }

  /** The file from `position` to its end; /dev/zero and /dev/urandom have none (EFBIG). */
  readRest(file: FileNode, position: number, path?: string): Uint8Array {
    file = this.current(file);
    if (file.device && file.device !== 'null') throw new FsError('EFBIG', 'read', path, `file too large: ${path ?? 'the device'} never ends; read it in chunks`);
    return this.readAt(file, position, Math.max(0, file.size - position));
  }

  /** Creates or truncates+rewrites a file (`append` adds to its end instead). */
  writeFile(path: string, data: Uint8Array, options: { mode?: number; createParents?: boolean; append?: boolean; exclusive?: boolean } = {}): FileNode {
    // A whole-file write that cannot fit fails before it creates or truncates anything.
    const existing = this.walkQuiet(path);
    const growth = existing?.kind === 'file' && existing.device ? 0 : data.byteLength - (options.append || existing?.kind !== 'file' ? 0 : existing.size);
    if (growth > 0 && this.bytes + growth > this.bounds.quotaBytes) this.charge(growth, 'write');
    const file = this.openFile(path, { create: true, exclusive: options.exclusive, mode: options.mode, createParents: options.createParents, syscall: 'open' });
    if (options.append) this.writeAt(file, file.size, data);
    else {
      this.truncateNode(file, 0);
      this.writeAt(file, 0, data);
    }
    return file;
  }

  /** Finds (or creates) the regular file at `path`, for `open(2)`-like callers. */
  openFile(
    path: string,
    options: { create?: boolean; exclusive?: boolean; mode?: number; createParents?: boolean; syscall?: string } = {},
  ): FileNode {
    const syscall = options.syscall ?? 'open';
    if (options.createParents) this.mkdirParents(path);
    const { dir, name, node } = this.walk(path, true, syscall);
    if (node) {
      if (options.exclusive) throw new FsError('EEXIST', syscall, path);
      if (node.kind === 'directory') throw new FsError('EISDIR', syscall, path);
      // As Linux: a socket's name cannot be opened (connect to it instead).
      if (node.kind === 'socket') throw new FsError('ENXIO', syscall, path);
      return node as FileNode;
    }
    if (!options.create || name === null) throw new FsError('ENOENT', syscall, path);
    return this.makeFileIn(dir, name, options.mode ?? 0o644);
  }

  /** A view of up to `length` bytes at `position` (a device's bytes, fresh, for a device). */
  readAt(file: FileNode, position: number, length: number): Uint8Array {
    byteCount(position, 'position', 'read');
    byteCount(length, 'length', 'read');
    file = this.current(file);
    file.atimeNs = now();
    if (file.device) return deviceRead(file.device, length);
    if (position >= file.size) return EMPTY;
    return file.data.subarray(position, Math.min(file.size, position + length));
  }

  writeAt(file: FileNode, position: number, data: Uint8Array): number {
    byteCount(position, 'position', 'write');
    // A device takes every byte and keeps none (nothing to store, nothing to charge); an
    // empty write changes nothing, wherever it is aimed (as write(2) of 0 bytes).
    file = this.current(file);
    if (file.device || data.length === 0) return data.length;
    const end = this.fileEnd(position + data.length, 'write');
    this.ownData(file);
    if (end > file.size) this.grow(file, end, 'write');
    file.data.set(data, position);
    file.mtimeNs = file.ctimeNs = now();
    this.changes?.modified(file);
    return data.length;
  }

  truncate(path: string, length: number): void {
    byteCount(length, 'length', 'truncate');
    const node = this.lookup(path, 'truncate');
    if (node.kind !== 'file') throw new FsError('EISDIR', 'truncate', path);
    this.truncateNode(node, length);
  }

  truncateNode(file: FileNode, length: number): void {
    byteCount(length, 'length', 'ftruncate');
    file = this.current(file);
    if (file.device) return;
    if (length > file.size) this.grow(file, this.fileEnd(length, 'ftruncate'), 'ftruncate');
    else {
      this.bytes -= file.size - length;
      // Give memory back when a file shrinks to well under its backing store; otherwise
      // the cut-off bytes become zeros, so a later write past the new end reads a gap of
      // zeros there and never the old data. Bytes shared with a snapshot are copied only
      // as far as the new end (a rewrite truncates to 0 first: it copies nothing).
      if (file.dataShared || length < file.data.length / 4) {
        file.data = file.data.slice(0, length);
        file.dataShared = false;
      } else file.data.fill(0, length, file.size);
    }
    file.size = length;
    file.mtimeNs = file.ctimeNs = now();
    this.changes?.modified(file);
  }

  /**
   * Makes `file` `end` bytes long, the new bytes zeros (the backing store past `size` is
   * kept zero). Charged only once the memory is there, so a failed allocation leaves the
   * quota exact.
   */
  private grow(file: FileNode, end: number, syscall: string): void {
    const delta = end - file.size;
    this.charge(delta, syscall, false);
    this.reserve(file, end);
    this.bytes += delta;
    file.size = end;
  }

  /** `end` as a file size, refused (EFBIG) when no file in this VM could be that large. */
  private fileEnd(end: number, syscall: string): number {
    if (end > this.bounds.quotaBytes) {
      this.onQuota?.('fs_quota_bytes', end, this.bounds.quotaBytes);
      throw new FsError('EFBIG', syscall, undefined, `file too large: ${end} bytes is past the VM filesystem quota of ${this.bounds.quotaBytes} bytes`);
    }
    return end;
  }

  /**
   * An open description of `file` was made (an fd table took it): until as many `closed`
   * calls, unlinking its last name keeps its data readable and writable through it, and
   * charged, as POSIX keeps an open file.
   */
  opened(file: FileNode): void {
    this.openCounts.set(file.ino, (this.openCounts.get(file.ino) ?? 0) + 1);
  }

  /** The last fd of one open description closed: an unlinked file goes with its last one. */
  closed(file: FileNode): void {
    const opens = this.openCounts.get(file.ino) ?? 0;
    if (opens === 0) return;
    if (opens > 1) {
      this.openCounts.set(file.ino, opens - 1);
      return;
    }
    this.openCounts.delete(file.ino);
    file = this.current(file);
    if (file.nlink === 0) this.release(file);
  }

  private reserve(file: FileNode, size: number): void {
    this.ownData(file);
    if (size <= file.data.length) return;
    const grown = new Uint8Array(Math.max(size, Math.min(file.data.length * 2, size + 16 * 1024 * 1024)));
    grown.set(file.data.subarray(0, file.size));
    file.data = grown;
  }

  // ---- directories ----

  /** Returns whether the directory was created (false: it existed and `recursive` was set). */
  mkdir(path: string, options: { recursive?: boolean; mode?: number } = {}): boolean {
    if (options.recursive) return this.mkdirp(path, options.mode) !== undefined;
    const { dir, name, node } = this.walk(path, false, 'mkdir');
    if (node || name === null) throw new FsError('EEXIST', 'mkdir', path);
    this.makeDir(dir, name, options.mode);
    return true;
  }

  /**
   * `mkdir -p` in one walk; returns the first directory it made, if any, named as Node
   * names it (by the path given, not through links). Like Node, it makes only what the
   * path itself names: a dangling link on the way is ENOENT, a file at the end EEXIST.
   */
  mkdirp(path: string, mode?: number): string | undefined {
    const create: { mode?: number; made?: number } = { mode };
    const { dir, name, node } = this.walk(path, true, 'mkdir', { create });
    if (node && node.kind !== 'directory') throw new FsError('EEXIST', 'mkdir', path);
    if (!node && name !== null) {
      this.makeDir(dir, name, mode);
      create.made ??= Infinity;
    }
    return create.made === undefined ? undefined : normalize(`/${components(path).slice(0, create.made).join('/')}`);
  }

  private mkdirParents(path: string): void {
    const cut = path.lastIndexOf('/');
    if (cut > 0) this.mkdirp(path.slice(0, cut));
  }

  private makeDir(parent: DirNode, name: string, mode = 0o755): DirNode {
    const dir = dirNode({ ...this.newMeta(mode), kind: 'directory', entries: new Map(), name });
    dir.parent = parent;
    dir.nlink = 2;
    this.link(parent, name, dir);
    parent.nlink++;
    return dir;
  }

  readdir(path: string): Array<{ name: string; node: FsNode }> {
    return this.readdirPage(path, null, Infinity).entries;
  }

  /**
   * A directory's entries sorted by name, from just after `after` (from the start when
   * null): at most `limit` of them, and no more once `maxBytes` of records (`recordBytes`
   * each) are taken. The sorted names are kept until a name is added, and names removed
   * since are skipped, so listing a directory page by page is linear in its size even while
   * a caller deletes what it listed (rm -r), and a page costs O(log n + returned).
   */
  readdirPage(path: string, after: string | null, limit: number, maxBytes = Infinity, recordBytes = 0): { entries: Array<{ name: string; node: FsNode }>; more: boolean } {
    const dir = this.lookup(path, 'scandir');
    if (dir.kind !== 'directory') throw new FsError('ENOTDIR', 'scandir', path);
    dir.atimeNs = now();
    this.fill(dir);
    const names = this.sortedNames(dir);
    const entries: Array<{ name: string; node: FsNode }> = [];
    let i = after === null ? 0 : firstAfter(names, after);
    for (let bytes = 0; i < names.length && entries.length < limit && bytes < maxBytes; i++) {
      const node = this.entry(dir, names[i]!);
      if (!node) continue;
      entries.push({ name: names[i]!, node });
      if (maxBytes !== Infinity) bytes += recordBytes + Buffer.byteLength(names[i]!);
    }
    while (i < names.length && !dir.entries.has(names[i]!)) i++;
    return { entries, more: i < names.length };
  }

  /** The cached sorted names of `dir`; rebuilt after an addition, or once most are gone. */
  private sortedNames(dir: DirNode): string[] {
    let names = this.listings.get(dir);
    if (!names || names.length > 2 * dir.entries.size + 64) {
      names = [...dir.entries.keys()].sort();
      this.listings.set(dir, names);
    }
    return names;
  }

  // ---- by node, for walks over whole trees (copy-tree.ts): no path is resolved again ----

  /** The entry `name` of `dir`, as a path lookup would find it. */
  entryOf(dir: DirNode, name: string): FsNode | undefined {
    return this.child(this.current(dir), name);
  }

  /** A directory's entries sorted by name, lazy ones made (as `readdir` lists them). */
  entriesOf(dir: DirNode): Array<{ name: string; node: FsNode }> {
    dir = this.current(dir);
    this.fill(dir);
    const out: Array<{ name: string; node: FsNode }> = [];
    for (const name of this.sortedNames(dir)) {
      const node = this.entry(dir, name);
      if (node) out.push({ name, node });
    }
    return out;
  }

  makeDirIn(parent: DirNode, name: string, mode?: number): DirNode {
    return this.makeDir(this.current(parent), name, mode);
  }

  makeFileIn(parent: DirNode, name: string, mode = 0o644): FileNode {
    parent = this.current(parent);
    const file = this.newMeta(mode) as FileNode;
    Object.assign(file, { kind: 'file', data: EMPTY, size: 0 });
    this.link(parent, name, file);
    return file;
  }

  makeSymlinkIn(parent: DirNode, name: string, target: string): void {
    parent = this.current(parent);
    checkPath(target, this.bounds, 'symlink');
    this.charge(target.length, 'symlink');
    let link: SymlinkNode;
    try {
      link = this.newMeta(0o777) as SymlinkNode;
    } catch (err) {
      this.bytes -= target.length; // no inode, so no charge either: the quota stays exact
      throw err;
    }
    Object.assign(link, { kind: 'symlink', target });
    this.link(parent, name, link);
  }

  /**
   * bind(2) of a Unix socket: a socket node at `path` (the mode as Linux gives it, 0777 less
   * the umask), counted against the inode limit. EEXIST (the caller's EADDRINUSE) when anything is
   * there, even a dangling symlink (bind never follows one), as on Linux.
   */
  makeSocket(path: string, mode = 0o755): SocketNode {
    const { dir, name, node } = this.walk(path, false, 'bind');
    if (node || name === null) throw new FsError('EEXIST', 'bind', path);
    const sock = this.newMeta(mode) as SocketNode;
    Object.assign(sock, { kind: 'socket' });
    this.link(dir, name, sock);
    return sock;
  }

  /** The node `path` names (symlinks followed), or undefined; errors of the walk itself (ENOTDIR, ELOOP, EACCES) still throw. */
  find(path: string, syscall: string): FsNode | undefined {
    const { node } = this.walk(path, true, syscall);
    return node ?? undefined;
  }

  /** Removes the non-directory entry `name` of `parent` (to replace it). */
  unlinkIn(parent: DirNode, name: string): void {
    parent = this.current(parent);
    const node = this.entry(parent, name);
    if (node && node.kind !== 'directory') {
      this.changes?.entry('deleted', parent, name, node);
      this.unlinkEntry(parent, name, node);
    }
  }

  /** Fails with ENOSPC, before anything is made, when `bytes` and `inodes` more would not fit. */
  ensureRoom(bytes: number, inodes: number, syscall: string): void {
    if (this.inodes + inodes > this.bounds.inodeLimit) {
      this.onQuota?.('fs_inode_limit', this.inodes + inodes, this.bounds.inodeLimit);
      throw new FsError('ENOSPC', syscall, undefined, `no space left on device (VM filesystem inode limit of ${this.bounds.inodeLimit})`);
    }
    if (this.bytes + bytes > this.bounds.quotaBytes) this.charge(bytes, syscall);
  }

  // ---- links, removal, renames ----

  symlink(target: string, path: string): void {
    checkPath(target, this.bounds, 'symlink');
    const { dir, name, node } = this.walk(path, false, 'symlink');
    if (node || name === null) throw new FsError('EEXIST', 'symlink', path);
    this.makeSymlinkIn(dir, name, target);
  }

  readlink(path: string): string {
    const node = this.lookup(path, 'readlink', false);
    if (node.kind !== 'symlink') throw new FsError('EINVAL', 'readlink', path);
    return node.target;
  }

  hardlink(existing: string, path: string): void {
    const node = this.lookup(existing, 'link', false);
    if (node.kind === 'directory') throw new FsError('EPERM', 'link', existing);
    const { dir, name, node: clash } = this.walk(path, false, 'link');
    if (clash || name === null) throw new FsError('EEXIST', 'link', path);
    this.countEntry('link');
    dir.entries.set(name, node);
    this.listings.delete(dir);
    node.nlink++;
    node.ctimeNs = now();
    dir.mtimeNs = dir.ctimeNs = node.ctimeNs;
    this.changes?.entry('created', dir, name, node);
  }

  unlink(path: string): void {
    const { dir, name, node } = this.walk(path, false, 'unlink');
    if (!node || name === null) throw new FsError(node ? 'EISDIR' : 'ENOENT', 'unlink', path);
    if (node.kind === 'directory') throw new FsError('EISDIR', 'unlink', path);
    this.changes?.entry('deleted', dir, name, node);
    this.unlinkEntry(dir, name, node);
  }

  rmdir(path: string): void {
    const { dir, name, node } = this.walk(path, false, 'rmdir');
    if (!node) throw new FsError('ENOENT', 'rmdir', path);
    if (name === null) throw new FsError('EBUSY', 'rmdir', path);
    if (node.kind !== 'directory') throw new FsError('ENOTDIR', 'rmdir', path);
    this.fill(node);
    if (node.entries.size > 0) throw new FsError('ENOTEMPTY', 'rmdir', path);
    this.changes?.entry('deleted', dir, name, node);
    this.unlinkEntry(dir, name, node);
  }

  /** Removes a path; with `recursive`, a whole tree. Returns the inodes freed. */
  remove(path: string, recursive = false): number {
    const { dir, name, node } = this.walk(path, false, 'rm');
    if (!node) throw new FsError('ENOENT', 'rm', path);
    if (name === null) throw new FsError('EBUSY', 'rm', path);
    if (node.kind === 'directory') this.fill(node);
    if (node.kind === 'directory' && node.entries.size > 0 && !recursive) throw new FsError('ENOTEMPTY', 'rm', path);
    const before = this.inodes;
    this.changes?.entry('deleted', dir, name, node);
    this.unlinkEntry(dir, name, node);
    return before - this.inodes;
  }

  rename(from: string, to: string): void {
    const src = this.walk(from, false, 'rename');
    if (!src.node || src.name === null) throw new FsError(src.node ? 'EBUSY' : 'ENOENT', 'rename', from);
    const dst = this.walk(to, false, 'rename');
    if (dst.name === null) throw new FsError('EBUSY', 'rename', to);
    if (dst.node === src.node) return;
    if (src.node.kind === 'directory') {
      for (let d: DirNode = dst.dir; ; d = d.parent) {
        if (d === src.node) throw new FsError('EINVAL', 'rename', to, 'cannot move a directory into itself');
        if (d === this.root) break;
      }
    }
    if (dst.node) {
      if (dst.node.kind === 'directory') {
        if (src.node.kind !== 'directory') throw new FsError('EISDIR', 'rename', to);
        this.fill(dst.node);
        if (dst.node.entries.size > 0) throw new FsError('ENOTEMPTY', 'rename', to);
      } else if (src.node.kind === 'directory') {
        throw new FsError('ENOTDIR', 'rename', to);
      }
      this.unlinkEntry(dst.dir, dst.name, dst.node);
    }
    src.dir.entries.delete(src.name);
    dst.dir.entries.set(dst.name, src.node);
    this.listings.delete(dst.dir);
    if (src.node.kind === 'directory') {
      src.dir.nlink--;
      dst.dir.nlink++;
      src.node.parent = dst.dir;
      src.node.name = dst.name;
    }
    const t = now();
    src.node.ctimeNs = t;
    src.dir.mtimeNs = src.dir.ctimeNs = dst.dir.mtimeNs = dst.dir.ctimeNs = t;
    this.changes?.renamed(src.dir, src.name, dst.dir, dst.name, src.node);
  }

  // ---- metadata ----

  chmod(path: string, mode: number): void {
    this.chmodNode(this.lookup(path, 'chmod'), mode);
  }

  /** chmod on an open file's node (fchmod). */
  chmodNode(node: FsNode, mode: number): void {
    node = this.current(node);
    node.mode = mode & 0o7777;
    node.ctimeNs = now();
    this.changes?.modified(node);
  }

  chown(path: string, uid: number, gid: number, follow = true): void {
    this.chownNode(this.lookup(path, 'chown', follow), uid, gid);
  }

  /** chown on an open file's node (fchown); -1 keeps the id, as chown(2). */
  chownNode(node: FsNode, uid: number, gid: number): void {
    node = this.current(node);
    if (uid !== -1) node.uid = uid;
    if (gid !== -1) node.gid = gid;
    node.ctimeNs = now();
    this.changes?.modified(node);
  }

  /** Sets access and modification times (ms, or exact ns when given as bigint). */
  utimes(path: string, atime: number | bigint, mtime: number | bigint, follow = true): void {
    this.utimesNode(this.lookup(path, 'utime', follow), atime, mtime);
  }

  /** utimes on an open file's node (futimes). */
  utimesNode(node: FsNode, atime: number | bigint, mtime: number | bigint): void {
    node = this.current(node);
    node.atimeNs = typeof atime === 'bigint' ? atime : BigInt(Math.round(atime * 1e6));
    node.mtimeNs = typeof mtime === 'bigint' ? mtime : BigInt(Math.round(mtime * 1e6));
    node.ctimeNs = now();
    this.changes?.modified(node);
  }

  // ---- extended attributes (stored and listed; they grant or deny nothing) ----

  getxattr(path: string, name: string, follow = true): Uint8Array {
    const node = this.lookup(path, 'getxattr', follow);
    const value = node.xattrs?.get(this.xattrName(name, 'getxattr'));
    if (!value) throw new FsError('ENODATA', 'getxattr', path);
    return value;
  }

  /** `mode`: 'create' fails when the attribute exists (XATTR_CREATE), 'replace' when it does not. */
  setxattr(path: string, name: string, value: Uint8Array, mode?: 'create' | 'replace', follow = true): void {
    this.setxattrOn(this.lookup(path, 'setxattr', follow), name, value, mode, path);
  }

  /** setxattr on an open file's node (fsetxattr). */
  setxattrOn(node: FsNode, name: string, value: Uint8Array, mode?: 'create' | 'replace', path?: string): void {
    node = this.current(node);
    const key = this.xattrName(name, 'setxattr');
    const max = this.bounds.xattrValueMax;
    if (value.byteLength > max) throw new FsError('E2BIG', 'setxattr', path, `an attribute value holds at most ${max} bytes`);
    const old = node.xattrs?.get(key);
    if (mode === 'create' && old) throw new FsError('EEXIST', 'setxattr', path);
    if (mode === 'replace' && !old) throw new FsError('ENODATA', 'setxattr', path);
    this.charge(xattrBytes(key, value) - (old ? xattrBytes(key, old) : 0), 'setxattr');
    (node.xattrs ??= new Map()).set(key, value.slice());
    node.ctimeNs = now();
    this.changes?.modified(node);
  }

  listxattr(path: string, follow = true): string[] {
    return [...(this.lookup(path, 'listxattr', follow).xattrs?.keys() ?? [])];
  }

  removexattr(path: string, name: string, follow = true): void {
    const node = this.lookup(path, 'removexattr', follow);
    const key = this.xattrName(name, 'removexattr');
    const old = node.xattrs?.get(key);
    if (!old) throw new FsError('ENODATA', 'removexattr', path);
    node.xattrs!.delete(key);
    this.bytes -= xattrBytes(key, old);
    node.ctimeNs = now();
    this.changes?.modified(node);
  }

  /** Linux's four namespaces; any other name is not supported, as on Linux. */
  private xattrName(name: string, syscall: string): string {
    if (name.length === 0 || name.length > this.bounds.nameMax) throw new FsError('ERANGE', syscall);
    if (!/^(user|trusted|security|system)\./.test(name)) throw new FsError('ENOTSUP', syscall);
    return name;
  }

  // ---- bookkeeping ----

  private link(dir: DirNode, name: string, node: FsNode): void {
    dir.entries.set(name, node);
    this.listings.delete(dir);
    dir.mtimeNs = dir.ctimeNs = now();
    this.changes?.entry('created', dir, name, node);
  }

  private unlinkEntry(dir: DirNode, name: string, node: FsNode): void {
    dir.entries.delete(name);
    dir.mtimeNs = dir.ctimeNs = now();
    if (node.kind === 'directory') {
      dir.nlink--;
      this.releaseTree(node);
      return;
    }
    node.nlink--;
    node.ctimeNs = now();
    // Each name costs one inode unit (see countEntry); the inode goes with its last name,
    // or, while it is open, with its last close (see closed).
    if (node.nlink > 0) this.inodes--;
    else if (node.kind !== 'file' || !this.openCounts.has(node.ino)) this.release(node);
    else this.orphans.set(node.ino, node);
  }

  /**
   * Releases a directory just unlinked and everything beneath it, with a stack rather than
   * recursion: a tree of any depth goes without overflowing, and every inode and byte it
   * held is given back. Lazy entries never made cost nothing and are simply forgotten.
   */
  private releaseTree(top: DirNode): void {
    const stack = [top];
    while (stack.length > 0) {
      const dir = this.current(stack.pop()!);
      this.lazy.delete(dir.ino);
      this.listings.delete(dir);
      // Frozen entries are adopted first: a snapshot keeps its versions, this VM frees its own.
      for (const name of [...dir.entries.keys()]) {
        const child = this.entry(dir, name)!;
        if (child.kind !== 'directory') this.unlinkEntry(dir, name, child);
        else {
          dir.entries.delete(name);
          stack.push(child);
        }
      }
      this.release(dir);
    }
  }

  private release(node: FsNode): void {
    node = this.current(node);
    this.local.delete(node.ino);
    this.detached.delete(node.ino);
    this.orphans.delete(node.ino);
    if (node.kind !== 'file' || !node.device) this.inodes--;
    for (const [key, value] of node.xattrs ?? []) this.bytes -= xattrBytes(key, value);
    node.xattrs = undefined;
    if (node.kind === 'file') {
      this.bytes -= node.size;
      node.data = EMPTY;
      node.size = 0;
    } else if (node.kind === 'symlink') {
      this.bytes -= node.target.length;
    }
  }

  /** Adds `delta` bytes to the VM's count, or throws ENOSPC past the quota (`take`: false only checks). */
  private charge(delta: number, syscall: string, take = true): void {
    if (this.bytes + delta > this.bounds.quotaBytes) {
      this.onQuota?.('fs_quota_bytes', this.bytes + delta, this.bounds.quotaBytes);
      throw new FsError('ENOSPC', syscall, undefined, `no space left on device (VM filesystem quota of ${this.bounds.quotaBytes} bytes)`);
    }
    if (take) this.bytes += delta;
  }

  /**
   * Charges one unit of the inode limit for a new directory entry. Every name costs one,
   * a hard link's too: an entry holds memory (its name, its map slot) whether or not its
   * inode is shared, so the inode limit bounds names, and a file with n links costs n.
   */
  private countEntry(syscall: string): void {
    if (this.inodes + 1 > this.bounds.inodeLimit) {
      this.onQuota?.('fs_inode_limit', this.inodes + 1, this.bounds.inodeLimit);
      throw new FsError('ENOSPC', syscall, undefined, `no space left on device (VM filesystem inode limit of ${this.bounds.inodeLimit})`);
    }
    this.inodes++;
  }

  /** `counted`: charged to the inode limit (all but device nodes, see `child`). */
  private newMeta(mode: number, counted = true): Meta {
    if (counted) this.countEntry('open');
    const t = now();
    return { ino: this.nextIno++, epoch: this.epoch, mode: mode & 0o7777, uid: this.owner.uid, gid: this.owner.gid, nlink: 1, atimeNs: t, mtimeNs: t, ctimeNs: t, birthtimeNs: t };
  }
}

/** One read of a device: nothing from /dev/null, zeros or random bytes (one chunk at most, a short read). */
function deviceRead(device: DeviceKind, length: number): Uint8Array {
  if (device === 'null') return EMPTY;
  const out = new Uint8Array(Math.min(length, DEVICE_READ_CHUNK));
  if (device === 'random') randomFillSync(out);
  return out;
}

/** Index of the first name sorting after `name` in sorted `names` (binary search). */
function firstAfter(names: readonly string[], name: string): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (names[mid]! <= name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What a node's extended attributes cost together. */
function xattrTotal(node: FsNode): number {
  let n = 0;
  for (const [key, value] of node.xattrs ?? []) n += xattrBytes(key, value);
  return n;
}

/** What one extended attribute costs against the quota: its name and its value. */
function xattrBytes(name: string, value: Uint8Array): number {
  return name.length + value.byteLength;
}

export function statOf(node: FsNode): Stat {
  return {
    type: node.kind,
    size: node.kind === 'file' ? node.size : node.kind === 'symlink' ? node.target.length : node.kind === 'socket' ? 0 : 4096,
    mode: TYPE_BITS[node.kind] | node.mode,
    uid: node.uid,
    gid: node.gid,
    ino: node.ino,
    nlink: node.nlink,
    atimeMs: Number(node.atimeNs) / 1e6,
    mtimeMs: Number(node.mtimeNs) / 1e6,
    ctimeMs: Number(node.ctimeNs) / 1e6,
    birthtimeMs: Number(node.birthtimeNs) / 1e6,
    atimeNs: String(node.atimeNs),
    mtimeNs: String(node.mtimeNs),
    ctimeNs: String(node.ctimeNs),
  };
}
