import type { DirNode, FsChangeListener, FsNode, NodeKind, VirtualFs } from './vfs.js';

export type ChangeKind = 'created' | 'modified' | 'deleted' | 'renamed';

export interface Change {
  kind: ChangeKind;
  /** The VM path (renamed: the new one). */
  path: string;
  oldPath?: string;
  type: NodeKind;
}

/** Where a watch's changes go, once per turn: the host (fs/changed) or a guest's fs.watch. */
export interface WatchSink {
  deliver(changes: Change[], overflow: boolean): void;
  /** False while the receiver is not taking more (the host's notification buffer is full): changes wait, up to the queue bound. */
  ready(): boolean;
  whenReady(): Promise<void>;
}

interface Watch {
  readonly id: string;
  /** What is watched: a directory (its entries, or with `recursive` its whole tree) or any other node (itself). */
  readonly node: FsNode;
  /** The path it was watched by: the name of a watched file that no directory listing placed. */
  readonly path: string;
  readonly recursive: boolean;
  readonly sink: WatchSink;
  /** Fold a `modified` into a `created` of the same turn (the host's); a guest's fs.watch keeps both, as inotify reports both. */
  readonly fold: boolean;
  pending: Change[];
  /** Keys of the pending changes, so a repeat within one turn is folded into the first. */
  keys: Set<string>;
  overflow: boolean;
  waiting: boolean;
}

export interface WatchBounds {
  readonly watchesMax: number;
  readonly queueMax: number;
  /** A bound was hit: the owner logs "bounded limit exhausted" and counts it. */
  onLimit(limit: 'fs_watches_per_vm' | 'fs_watch_queue_max', observed: number, capacity: number): void;
}

/**
 * The watches of one VM filesystem, fed by its change listener (vfs.ts `changes`). Each
 * change is matched against each watch when it happens (so its path is the one it had
 * then) and queued; the queues go out once per turn of the daemon's event loop, a repeat
 * of a (kind, path) already queued folded away, and a `modified` of something created in
 * the same turn too. A queue past `queueMax` drops what follows and says `overflow`.
 *
 * A file's changes (a write through an fd) name the file by node only: where it is comes
 * from `located`, filled for the watched trees when a watch begins and kept by every
 * created and renamed entry after. A file with several names is reported under one.
 */
export class FsWatches implements FsChangeListener {
  private readonly watches = new Map<string, Watch>();
  private readonly located = new WeakMap<FsNode, { dir: DirNode; name: string }>();
  private flushing = false;

  constructor(
    private readonly vfs: VirtualFs,
    private readonly bounds: WatchBounds,
  ) {}

  get size(): number {
    return this.watches.size;
  }

  /** Starts a watch on the node at `path` (through symlinks); throws ENOENT as lookup does. */
  add(path: string, recursive: boolean, sink: WatchSink, prefix = 'w', fold = true): string {
    const node = this.vfs.lookup(path, 'watch');
    if (this.watches.size >= this.bounds.watchesMax) {
      this.bounds.onLimit('fs_watches_per_vm', this.watches.size + 1, this.bounds.watchesMax);
      throw new WatchLimitError(this.bounds.watchesMax);
    }
    if (node.kind === 'directory') this.index(node, recursive);
    else this.place(node, path);
    const id = `${prefix}${nextWatchId++}`;
    this.watches.set(id, { id, node, path, recursive, sink, fold, pending: [], keys: new Set(), overflow: false, waiting: false });
    this.vfs.changes = this;
    return id;
  }

  remove(id: string): boolean {
    const had = this.watches.delete(id);
    if (this.watches.size === 0) this.vfs.changes = undefined;
    return had;
  }

  /** The VM ended: every watch goes, nothing more is delivered. */
  clear(): void {
    this.watches.clear();
    this.vfs.changes = undefined;
  }

  // ---- the listener ----

  entry(kind: 'created' | 'deleted', dir: DirNode, name: string, node: FsNode): void {
    if (kind === 'created') this.located.set(node, { dir, name });
    for (const w of this.watches.values()) {
      if (this.covers(w, dir)) this.queue(w, { kind, path: join(this.pathOf(dir), name), type: node.kind });
      else if (kind === 'deleted' && (w.node === node || (node.kind === 'directory' && this.beneath(w.node, node)))) {
        // The watched node itself went, or a directory it was in.
        this.queue(w, { kind, path: this.watchedPath(w, dir, name, node), type: w.node.kind });
      }
    }
  }

  renamed(fromDir: DirNode, fromName: string, toDir: DirNode, toName: string, node: FsNode): void {
    this.located.set(node, { dir: toDir, name: toName });
    if (node.kind === 'directory' && this.watches.size > 0) this.indexIfWatched(node);
    for (const w of this.watches.values()) {
      const from = this.covers(w, fromDir);
      const to = this.covers(w, toDir);
      const path = join(this.pathOf(toDir), toName);
      // A directory's path is found through its parent, already the new one: build the old from `fromDir`.
      const oldPath = join(this.pathOf(fromDir), fromName);
      if (from && to) this.queue(w, { kind: 'renamed', path, oldPath, type: node.kind });
      else if (from) this.queue(w, { kind: 'deleted', path: oldPath, type: node.kind });
      else if (to) this.queue(w, { kind: 'created', path, type: node.kind });
      else if (w.node === node) this.queue(w, { kind: 'renamed', path, oldPath, type: node.kind });
    }
  }

  modified(node: FsNode): void {
    if (this.watches.size === 0) return;
    const at = this.whereIs(node);
    for (const w of this.watches.values()) {
      if (w.node === node) this.queue(w, { kind: 'modified', path: at ? join(this.pathOf(at.dir), at.name) : node.kind === 'directory' ? this.pathOf(node) : w.path, type: node.kind });
      else if (at && this.covers(w, at.dir)) this.queue(w, { kind: 'modified', path: join(this.pathOf(at.dir), at.name), type: node.kind });
    }
  }

  // ---- matching ----

  /** Whether a change to an entry of `dir` is one `w` reports. */
  private covers(w: Watch, dir: DirNode): boolean {
    if (w.node.kind !== 'directory') return false;
    if (dir === w.node) return true;
    return w.recursive && this.beneath(dir, w.node);
  }

  /** Whether `node` lies (attached) beneath the directory `top`. */
  private beneath(node: FsNode, top: FsNode): boolean {
    if (node.kind !== 'directory') return false;
    for (let d: DirNode = node; d !== this.vfs.root; d = d.parent) {
      if (d.parent === top) return d.parent.entries.get(d.name) === d;
      if (d.parent.entries.get(d.name) !== d) return false;
    }
    return false;
  }

  /** A node's place: a directory's own, another's as last seen, if it is still there. */
  private whereIs(node: FsNode): { dir: DirNode; name: string } | undefined {
    if (node.kind === 'directory') return node === this.vfs.root ? undefined : { dir: node.parent, name: node.name };
    const at = this.located.get(node);
    return at && at.dir.entries.get(at.name) === node ? at : undefined;
  }

  private watchedPath(w: Watch, dir: DirNode, name: string, node: FsNode): string {
    if (w.node === node) return join(this.pathOf(dir), name);
    return w.node.kind === 'directory' ? this.pathOf(w.node) : join(this.pathOf(dir), name);
  }

  pathOf(dir: DirNode): string {
    const names: string[] = [];
    for (let d = dir; d !== this.vfs.root && d.parent !== d; d = d.parent) names.push(d.name);
    return `/${names.reverse().join('/')}`;
  }

  /** Records where each entry of `dir` is (with `deep`, of its whole tree): a stack, no recursion. */
  private index(dir: DirNode, deep: boolean): void {
    const stack = [dir];
    while (stack.length > 0) {
      const d = stack.pop()!;
      for (const [name, node] of d.entries) {
        if (node.kind === 'directory') {
          if (deep) stack.push(node);
        } else this.located.set(node, { dir: d, name });
      }
    }
  }

  /** A file watched by itself: where its path puts it, when that entry is it (not reached through a symlink). */
  private place(node: FsNode, path: string): void {
    const cut = path.lastIndexOf('/');
    if (cut < 0) return;
    try {
      const dir = this.vfs.lookup(path.slice(0, cut) || '/', 'watch');
      const name = path.slice(cut + 1);
      if (dir.kind === 'directory' && dir.entries.get(name) === node) this.located.set(node, { dir, name });
    } catch {
      // Its directory is gone or unreadable: the watch's own path names it.
    }
  }

  /** A directory moved: its files are placed again if a recursive watch now covers it. */
  private indexIfWatched(dir: DirNode): void {
    for (const w of this.watches.values()) if (w.recursive && (w.node === dir || this.covers(w, dir))) return this.index(dir, true);
  }

  // ---- queues ----

  private queue(w: Watch, change: Change): void {
    const key = `${change.kind}\0${change.path}\0${change.oldPath ?? ''}`;
    if (w.keys.has(key)) return;
    // Written in the same turn it was made: still just made.
    if (w.fold && change.kind === 'modified' && w.keys.has(`created\0${change.path}\0`)) return;
    if (w.pending.length >= this.bounds.queueMax) {
      if (!w.overflow) this.bounds.onLimit('fs_watch_queue_max', w.pending.length + 1, this.bounds.queueMax);
      w.overflow = true;
      return;
    }
    w.keys.add(key);
    w.pending.push(change);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushing = false;
    for (const w of this.watches.values()) {
      if (w.pending.length === 0 && !w.overflow) continue;
      if (!w.sink.ready()) {
        // The receiver is behind: hold the queue (bounded) until it takes more.
        if (!w.waiting) {
          w.waiting = true;
          void w.sink.whenReady().then(() => {
            w.waiting = false;
            if (this.watches.get(w.id) === w) this.send(w);
          });
        }
        continue;
      }
      this.send(w);
    }
  }

  private send(w: Watch): void {
    const { pending, overflow } = w;
    if (pending.length === 0 && !overflow) return;
    w.pending = [];
    w.keys = new Set();
    w.overflow = false;
    w.sink.deliver(pending, overflow);
  }
}

export class WatchLimitError extends Error {
  constructor(readonly capacity: number) {
    super(`this VM already has ${capacity} watches (AGENTOS_FS_WATCHES_PER_VM)`);
  }
}

function join(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

const registry = new WeakMap<VirtualFs, FsWatches>();
/** Watch ids are the daemon's, not a VM's: one id never names two watches. */
let nextWatchId = 1;

/** The watches of a VM filesystem, made on first use. */
export function watchesOf(vfs: VirtualFs, bounds: WatchBounds): FsWatches {
  let w = registry.get(vfs);
  if (!w) registry.set(vfs, (w = new FsWatches(vfs, bounds)));
  return w;
}

/** The VM ended: its watches end with it. */
export function endWatches(vfs: VirtualFs): void {
  registry.get(vfs)?.clear();
}
