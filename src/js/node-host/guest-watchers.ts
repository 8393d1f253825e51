import { FsError } from '../../fs/errors.js';
import { watchesOf, WatchLimitError, type Change } from '../../fs/fs-watch.js';
import type { VirtualFs } from '../../fs/vfs.js';
import { resolveLimits, type Limits } from '../../limits/limits.js';
import { checkFs } from '../../permissions/fs.js';
import type { ProcessPermits } from '../../permissions/process-permits.js';

/** The daemon's limits as its environment sets them (the watch bounds have no per-VM override). */
let envLimits: Limits | undefined;

/**
 * A guest process's fs.watch watchers: each is a watch on the VM's FsWatches (the same ones
 * fs/watch uses, so guest, WASM and host changes all reach it), delivered to the guest as
 * child events under a negative id. A referenced watcher keeps the process alive, as in
 * Node; they all end with the process.
 */
export class GuestWatchers {
  private readonly ids = new Map<number, string>();
  private readonly refed = new Set<number>();
  private next = 1;

  constructor(
    private readonly vfs: VirtualFs,
    private readonly permits: ProcessPermits,
    private readonly deliver: (localId: number, changes: Change[], overflow: boolean) => void,
    private readonly onLimit: (limit: string, observed: number, capacity: number, env: string) => void,
  ) {}

  /** Watchers that keep the process alive. */
  get holding(): number {
    return this.refed.size;
  }

  call(op: string, args: unknown[]): unknown {
    if (op === 'watch') return this.watch(args[0], args[1] === true);
    const id = args[0];
    if (typeof id !== 'number' || !this.ids.has(id)) return null;
    if (op === 'unwatch') {
      watchesOf(this.vfs, this.bounds()).remove(this.ids.get(id)!);
      this.ids.delete(id);
      this.refed.delete(id);
    } else if (op === 'watchRef') {
      if (args[1] === true) this.refed.add(id);
      else this.refed.delete(id);
    }
    return null;
  }

  closeAll(): void {
    const watches = watchesOf(this.vfs, this.bounds());
    for (const id of this.ids.values()) watches.remove(id);
    this.ids.clear();
    this.refed.clear();
  }

  private watch(path: unknown, recursive: boolean): number {
    if (typeof path !== 'string') throw new FsError('EINVAL', 'watch', undefined, 'path must be a string');
    checkFs({ kind: 'guest', permits: this.permits }, 'read', path, 'watch');
    const local = this.next++;
    try {
      const id = watchesOf(this.vfs, this.bounds()).add(path, recursive, {
        deliver: (changes, overflow) => this.deliver(-local, changes, overflow),
        ready: () => true,
        whenReady: () => Promise.resolve(),
      }, 'g', false);
      this.ids.set(local, id);
      this.refed.add(local);
      return local;
    } catch (err) {
      // Linux: past max_user_watches inotify_add_watch fails with ENOSPC (Node reports it so).
      if (err instanceof WatchLimitError) throw new FsError('ENOSPC', 'watch', path, `system limit for number of file watchers reached (${err.capacity}, AGENTOS_FS_WATCHES_PER_VM)`);
      throw err;
    }
  }

  private bounds() {
    envLimits ??= resolveLimits();
    const limits = envLimits;
    return {
      watchesMax: limits.FS_WATCHES_PER_VM.value,
      queueMax: limits.FS_WATCH_QUEUE_MAX.value,
      onLimit: (limit: 'fs_watches_per_vm' | 'fs_watch_queue_max', observed: number, capacity: number) => this.onLimit(limit, observed, capacity, `AGENTOS_${limit.toUpperCase()}`),
    };
  }
}
